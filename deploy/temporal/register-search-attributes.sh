#!/bin/sh
# One-shot job: registers ldsync's custom search attributes in the namespace (SQL visibility ties them
# to a namespace, so --namespace is required). An attribute that already exists is fine, so the job is
# safe on every `docker compose up`. Without them syncs still run, but the workflows cannot set
# LdsyncConnectionId / LdsyncRunStatus and the Web UI's saved queries on them find nothing.
# TEMPORAL_ADDRESS (temporal:7233), TEMPORAL_NAMESPACE (default), WAIT_ATTEMPTS (60) x WAIT_SECONDS (2).
set -eu
address="${TEMPORAL_ADDRESS:-temporal:7233}"
namespace="${TEMPORAL_NAMESPACE:-default}"

# A namespace created a moment ago may not be in every server cache yet.
attempt=0
until temporal operator search-attribute list --address "$address" --namespace "$namespace" >/dev/null 2>&1; do
  attempt=$((attempt + 1))
  if [ "$attempt" -ge "${WAIT_ATTEMPTS:-60}" ]; then
    echo "register-search-attributes: namespace $namespace not ready after $attempt attempts" >&2
    exit 1
  fi
  sleep "${WAIT_SECONDS:-2}"
done

for name in LdsyncConnectionId LdsyncRunStatus; do
  if out="$(temporal operator search-attribute create --address "$address" --namespace "$namespace" \
    --name "$name" --type Keyword 2>&1)"; then
    echo "register-search-attributes: registered $name (Keyword)"
  elif printf '%s' "$out" | grep -qi 'already exists'; then
    echo "register-search-attributes: $name already registered"
  else
    printf '%s\n' "$out" >&2
    exit 1
  fi
done
