#!/bin/sh
# One-shot job (temporalio/admin-tools, or any machine with the `temporal` CLI): waits until the
# cluster answers, then creates the namespace unless it exists. Safe to run again.
# TEMPORAL_ADDRESS (temporal:7233), TEMPORAL_NAMESPACE (default), NAMESPACE_RETENTION (7d),
# WAIT_ATTEMPTS (60) x WAIT_SECONDS (2).
set -eu
address="${TEMPORAL_ADDRESS:-temporal:7233}"
namespace="${TEMPORAL_NAMESPACE:-default}"

attempt=0
until temporal operator cluster health --address "$address" >/dev/null 2>&1; do
  attempt=$((attempt + 1))
  if [ "$attempt" -ge "${WAIT_ATTEMPTS:-60}" ]; then
    echo "create-namespace: $address not healthy after $attempt attempts" >&2
    exit 1
  fi
  sleep "${WAIT_SECONDS:-2}"
done

if temporal operator namespace describe --address "$address" --namespace "$namespace" >/dev/null 2>&1; then
  echo "create-namespace: $namespace exists"
elif temporal operator namespace create --address "$address" --namespace "$namespace" \
  --retention "${NAMESPACE_RETENTION:-7d}"; then
  echo "create-namespace: created $namespace"
else
  # Another run may have created it in between.
  temporal operator namespace describe --address "$address" --namespace "$namespace" >/dev/null
  echo "create-namespace: $namespace exists"
fi
