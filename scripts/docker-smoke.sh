#!/usr/bin/env bash
# The worker image, proven: builds it from this repository's Dockerfile on a base image given as the
# BASE_IMAGE build argument, and runs it against a Temporal dev server and Postgres on this host.
#  1. the compose file's structure (test/compose-structure.test.ts, and `docker-compose config` if
#     installed);
#  2. the base image (deploy/base-image.sh builds a node:20-bookworm-slim stand-in from Debian
#     packages when no registry is reachable) and the project's image;
#  3. a Temporal dev server (the `temporal` binary `ldsync temporal` resolves), started without
#     ldsync's search attributes: the compose deployment's namespace and search-attribute job
#     scripts register what ldsync needs, twice ("already exists" is fine);
#  4. compose's ldsync-db job script makes a fresh role and database; `migrate` runs in the image;
#  5. `ldsync simulate` serves a generated account; a connection to it is added with the image's CLI;
#  6. worker A (the image's default command) turns healthy through the image's HEALTHCHECK (the
#     worker probe); a sync starts; mid-sync `docker stop` stops A within the grace period with
#     exit 0; worker B finishes the sync, which must succeed;
#  7. nothing was lost: a second, uninterrupted sync finds every row already there (0 inserted,
#     0 deleted, 0 updated), and the first run's inserted count equals the rows in the tables;
#  8. docker stop of B, then cleanup: containers, image (KEEP_IMAGE=1 keeps it), processes,
#     database and role. The base image is kept (building it takes minutes).
#
#   scripts/docker-smoke.sh
# Environment: BASE_IMAGE (default ldsync-base:node20-bookworm, built if missing; node:20-bookworm-slim
# where a registry is reachable), ADMIN_DATABASE_URL (postgres://postgres@127.0.0.1:5432/postgres, a
# superuser on the Postgres to use), DOCKER_NETWORK (host), KEEP_IMAGE=1.
# Needs docker (the daemon may run with --iptables=false --bridge=none: containers use the host
# network), node and npm with this repository's dependencies installed, psql.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

BASE_IMAGE="${BASE_IMAGE:-ldsync-base:node20-bookworm}"
ADMIN_DATABASE_URL="${ADMIN_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
NETWORK="${DOCKER_NETWORK:-host}"
RUN_ID="$$"
IMAGE="launchdarkly-sync:smoke-$RUN_ID"
DB_NAME="ldsync_smoke_$RUN_ID"
DB_USER="ldsync_smoke_$RUN_ID"
DB_PASSWORD="smoke-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
TASK_QUEUE="ldsync-smoke-$RUN_ID"
CONNECTION="smoke"
SIM_TOKEN="api-smoke-reader-$RUN_ID"
GRACE=30
WORK="$(mktemp -d /tmp/ldsync-smoke.XXXXXX)"
STARTED=$SECONDS

say() { printf '[smoke %3ds] %s\n' "$((SECONDS - STARTED))" "$*"; }
fail() {
  say "FAILED: $*"
  exit 1
}

free_port() { node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
TEMPORAL_PORT="$(free_port)"
SIM_PORT="$(free_port)"
TEMPORAL_ADDRESS="127.0.0.1:$TEMPORAL_PORT"
admin_url() { node -e 'const u=new URL(process.argv[1]);u.pathname="/"+process.argv[2];console.log(u.href)' "$ADMIN_DATABASE_URL" "$1"; }
DB_HOST="$(node -e 'console.log(new URL(process.argv[1]).hostname)' "$ADMIN_DATABASE_URL")"
DB_PORT="$(node -e 'console.log(new URL(process.argv[1]).port||5432)' "$ADMIN_DATABASE_URL")"
DATABASE_URL="postgres://$DB_USER:$DB_PASSWORD@$DB_HOST:$DB_PORT/$DB_NAME"
ENCRYPTION_KEY="$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')"

PIDS=()
CONTAINERS=()
DB_MADE=0
cleanup() {
  local code=$?
  set +e
  say "cleanup"
  for c in "${CONTAINERS[@]}"; do docker rm -f "$c" >/dev/null 2>&1; done
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null; done
  if [[ "$DB_MADE" == 1 ]]; then
    psql -q "$ADMIN_DATABASE_URL" -c "DROP DATABASE IF EXISTS $DB_NAME WITH (FORCE)" -c "DROP ROLE IF EXISTS $DB_USER" >/dev/null
  fi
  [[ "${KEEP_IMAGE:-0}" == 1 ]] || docker rmi "$IMAGE" >/dev/null 2>&1
  left="$(docker ps -aq --filter "name=ldsync-smoke-.-$RUN_ID")"
  [[ -z "$left" ]] || say "containers left behind: $left"
  rm -rf "$WORK"
  if [[ $code == 0 ]]; then say "PASSED"; else say "exit $code"; fi
  exit $code
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Runs the image: the CLI (`ldsync ARGS`) with this run's settings, on the host network.
ldsync_image() {
  docker run --rm --network "$NETWORK" \
    -e DATABASE_URL="$DATABASE_URL" -e TEMPORAL_ADDRESS="$TEMPORAL_ADDRESS" -e TEMPORAL_NAMESPACE=default \
    -e LDSYNC_TASK_QUEUE="$TASK_QUEUE" -e LDSYNC_ENCRYPTION_KEY="$ENCRYPTION_KEY" -e SIM_TOKEN="$SIM_TOKEN" \
    -e LDSYNC_LOG_LEVEL=warn "$IMAGE" "$@"
}
# Not in a subshell: cleanup needs the name.
start_worker() {
  local name="$1"
  CONTAINERS+=("$name")
  # The image's HEALTHCHECK, polled faster than in compose so the smoke test need not wait 30 s.
  docker run -d --name "$name" --network "$NETWORK" --stop-timeout "$GRACE" \
    --health-interval 3s --health-start-period 60s --health-retries 3 \
    -e DATABASE_URL="$DATABASE_URL" -e TEMPORAL_ADDRESS="$TEMPORAL_ADDRESS" -e TEMPORAL_NAMESPACE=default \
    -e LDSYNC_TASK_QUEUE="$TASK_QUEUE" -e LDSYNC_ENCRYPTION_KEY="$ENCRYPTION_KEY" "$IMAGE" >/dev/null
}
wait_healthy() {
  local name="$1" started=$SECONDS status
  while :; do
    status="$(docker inspect -f '{{.State.Health.Status}}' "$name")"
    [[ "$status" == healthy ]] && break
    [[ "$(docker inspect -f '{{.State.Running}}' "$name")" == true ]] || {
      docker logs --tail 30 "$name"
      fail "$name exited"
    }
    ((SECONDS - started < 90)) || {
      docker logs --tail 30 "$name"
      fail "$name not healthy after 90 s ($status)"
    }
    sleep 1
  done
  say "$name healthy after $((SECONDS - started)) s; probe: $(docker inspect -f '{{range .State.Health.Log}}{{println .Output}}{{end}}' "$name" | grep . | tail -1)"
}
stop_worker() {
  local name="$1" t0 t1 code
  t0=$(date +%s.%N)
  docker stop -t "$GRACE" "$name" >/dev/null
  t1=$(date +%s.%N)
  code="$(docker inspect -f '{{.State.ExitCode}}' "$name")"
  local took
  took=$(node -e "console.log((${t1} - ${t0}).toFixed(1))")
  say "docker stop $name: $took s (grace ${GRACE} s), exit code $code"
  [[ "$code" == 0 ]] || {
    docker logs --tail 30 "$name"
    fail "$name did not stop gracefully (exit $code)"
  }
  node -e "process.exit((${t1} - ${t0}) < ${GRACE} ? 0 : 1)" || fail "$name needed the whole grace period"
  docker logs "$name" 2>&1 | grep -q 'stopping worker' || fail "$name did not log its graceful stop"
}
sql() { psql -qAtX "$DATABASE_URL" -c "$1"; }
# Per flags scope of the run: status pages/requests.
flags_scopes() {
  sql "SELECT string_agg(scope || ' ' || status || ' ' || pages || 'p/' || requests || 'r', ', ' ORDER BY scope)
       FROM ldsync.sync_run_streams WHERE run_id = '$run_id' AND stream = 'flags'"
}
temporal_cli() { "$cli_path" "$@"; }

say "image $IMAGE on base $BASE_IMAGE; Temporal $TEMPORAL_ADDRESS; simulator :$SIM_PORT; database $DB_NAME"
docker info >/dev/null 2>&1 || fail "no Docker daemon (dockerd --iptables=false --bridge=none &)"
[[ -d node_modules ]] || npm ci --no-audit --no-fund

# 1. The compose file.
say "compose structure (test/compose-structure.test.ts)"
node --import tsx --test --test-reporter=dot test/compose-structure.test.ts >"$WORK/compose-test.log" 2>&1 || {
  cat "$WORK/compose-test.log"
  fail "compose structure test"
}
if command -v docker-compose >/dev/null; then
  # docker-compose 1.x predates the top-level `name:`; everything else it validates.
  sed '/^name:/d' docker-compose.yml | LDSYNC_ENCRYPTION_KEY=x docker-compose -f - --project-directory . config -q ||
    fail "docker-compose config"
  say "docker-compose config: valid ($(sed '/^name:/d' docker-compose.yml | LDSYNC_ENCRYPTION_KEY=x docker-compose -f - --project-directory . config --services | wc -l) services)"
fi

# 2. Images.
if ! docker image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
  [[ "$BASE_IMAGE" == ldsync-base:* ]] || fail "base image $BASE_IMAGE not found"
  say "building the base image $BASE_IMAGE (deploy/base-image.sh)"
  deploy/base-image.sh "$BASE_IMAGE"
fi
say "docker build (BASE_IMAGE=$BASE_IMAGE)"
build_started=$SECONDS
DOCKER_BUILDKIT=0 docker build --network "$NETWORK" --build-arg BASE_IMAGE="$BASE_IMAGE" -t "$IMAGE" . \
  >"$WORK/build.log" 2>&1 || {
  tail -30 "$WORK/build.log"
  fail "docker build"
}
say "built in $((SECONDS - build_started)) s: $(docker image inspect -f '{{.Size}}' "$IMAGE" | awk '{printf "%.0f MB", $1/1e6}'), user $(docker image inspect -f '{{.Config.User}}' "$IMAGE"), entrypoint $(docker image inspect -f '{{json .Config.Entrypoint}}' "$IMAGE")"
docker run --rm --network "$NETWORK" --entrypoint sh "$IMAGE" -c \
  'test ! -e node_modules/typescript && test ! -e node_modules/eslint && test -s dist/workflow-bundle.js && test "$(id -u)" != 0' ||
  fail "the image carries dev dependencies, lacks the bundle, or runs as root"

# 3. Temporal: a plain dev server; the compose job scripts do the rest.
# The `temporal` binary `ldsync temporal` runs (TEMPORAL_CLI_PATH, PATH or the project's .tools/),
# started directly so that cleanup can stop it by its pid.
cli_path="$(npx tsx -e 'require("./src/temporal/cli-binary").findTemporalCli({ allowDownload: false })
  .then((cli) => console.log("path" in cli ? cli.path : ""))')"
[[ -x "$cli_path" ]] || fail "no temporal CLI binary found"
say "Temporal dev server ($cli_path server start-dev), no search attributes"
"$cli_path" server start-dev --ip 127.0.0.1 --port "$TEMPORAL_PORT" --headless --log-level error \
  >"$WORK/temporal.log" 2>&1 &
PIDS+=($!)
# The job scripts call `temporal`, as in the admin-tools image.
mkdir -p "$WORK/bin"
ln -s "$cli_path" "$WORK/bin/temporal"
for script in create-namespace register-search-attributes register-search-attributes; do
  PATH="$WORK/bin:$PATH" TEMPORAL_ADDRESS="$TEMPORAL_ADDRESS" TEMPORAL_NAMESPACE=default WAIT_SECONDS=1 \
    sh "deploy/temporal/$script.sh" | sed 's/^/    /'
done
temporal_cli operator search-attribute list --address "$TEMPORAL_ADDRESS" --namespace default |
  grep -E 'Ldsync(ConnectionId|RunStatus) +Keyword' | sed 's/^/    /' | tr -s ' '
[[ "$(temporal_cli operator search-attribute list --address "$TEMPORAL_ADDRESS" --namespace default | grep -cE 'Ldsync(ConnectionId|RunStatus) +Keyword')" == 2 ]] ||
  fail "search attributes not registered"

# 4. Postgres: compose's ldsync-db job script, then the image's migrate.
say "database (deploy/postgres/create-ldsync-db.sh, then migrate in the image)"
DB_MADE=1
PGHOST="$DB_HOST" PGPORT="$DB_PORT" PGUSER="$(node -e 'console.log(decodeURIComponent(new URL(process.argv[1]).username)||"postgres")' "$ADMIN_DATABASE_URL")" \
  PGPASSWORD="$(node -e 'console.log(decodeURIComponent(new URL(process.argv[1]).password))' "$ADMIN_DATABASE_URL")" \
  LDSYNC_DB_NAME="$DB_NAME" LDSYNC_DB_USER="$DB_USER" LDSYNC_DB_PASSWORD="$DB_PASSWORD" \
  sh deploy/postgres/create-ldsync-db.sh | sed 's/^/    /'
ldsync_image migrate | sed 's/^/    /'

# 5. The simulated account, and a connection to it made with the image's CLI. Every flags page takes
# 3 s, so a flags scope (7 pages) outlasts the worker's 10 s shutdown grace: docker stop then cuts it
# between pages, and its retry on the other worker resumes from the committed cursor.
say "simulator (ldsync simulate) and connection $CONNECTION"
node bin/ldsync.js simulate --port "$SIM_PORT" --seed 12 --projects 3 --environments 3 --flags 600 --teams 4 \
  --token "$SIM_TOKEN" --slow-rate 1 --slow-ms 3000 --fault-routes '^/api/v2/flags/' >"$WORK/simulator.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 60); do
  curl -s -o /dev/null "http://127.0.0.1:$SIM_PORT/" && break
  sleep 0.5
done
ldsync_image connections add "$CONNECTION" --token-env SIM_TOKEN --base-url "http://127.0.0.1:$SIM_PORT" \
  --name "docker smoke" | sed 's/^/    /'

# 6. A sync interrupted by docker stop, finished by another worker.
say "worker A"
A="ldsync-smoke-a-$RUN_ID"
start_worker "$A"
wait_healthy "$A"
ldsync_image sync "$CONNECTION" | sed 's/^/    /'
run_id=""
for _ in $(seq 1 300); do
  run_id="$(sql "SELECT id FROM ldsync.sync_runs WHERE connection_id = '$CONNECTION' ORDER BY started_at DESC LIMIT 1")"
  # A flags scope with a page written and more to come.
  cut="$(sql "SELECT count(*) FROM ldsync.sync_run_streams WHERE run_id = '${run_id:-00000000-0000-0000-0000-000000000000}' AND stream = 'flags' AND status = 'running' AND pages >= 1")"
  [[ -n "$run_id" && "$cut" -ge 1 ]] && break
  sleep 0.2
done
[[ "$(sql "SELECT status FROM ldsync.sync_runs WHERE id = '$run_id'")" == running ]] ||
  fail "the sync ended before it could be interrupted (make the simulator slower)"
say "mid-sync: $(sql "SELECT count(*) FILTER (WHERE status = 'succeeded') || ' scopes done, ' || count(*) FILTER (WHERE status = 'running') || ' running, ' || sum(pages) || ' pages' FROM ldsync.sync_run_streams WHERE run_id = '$run_id'"); flags $(flags_scopes); docker stop worker A"
stop_worker "$A"
say "after the stop: run $(sql "SELECT status FROM ldsync.sync_runs WHERE id = '$run_id'"); flags $(flags_scopes)"
{ docker logs "$A" 2>&1 | grep -E 'stopping worker|WorkerShutdown|WORKER_SHUTDOWN|Activity failed' || true; } | cut -c1-300 | head -4 | sed 's/^/    A: /'

say "worker B finishes the sync"
B="ldsync-smoke-b-$RUN_ID"
start_worker "$B"
wait_healthy "$B"
for _ in $(seq 1 600); do
  status="$(sql "SELECT status FROM ldsync.sync_runs WHERE id = '$run_id'")"
  [[ "$status" != running ]] && break
  sleep 0.5
done
say "interrupted run: $status; totals $(sql "SELECT totals FROM ldsync.sync_runs WHERE id = '$run_id'")"
[[ "$status" == succeeded ]] || {
  docker logs --tail 40 "$B"
  fail "the interrupted sync did not succeed ($status)"
}
say "flags scopes after B: $(flags_scopes)"
{ docker logs "$B" 2>&1 | grep -E '"attempt":[2-9]|resum' || true; } | cut -c1-300 | head -3 | sed 's/^/    B: /'
ldsync_image status "$CONNECTION" --limit 1 | sed -n '1,14p' | sed 's/^/    /'

# 7. Nothing lost, nothing counted twice.
say "a second sync (uninterrupted) must find every row already there"
ldsync_image sync "$CONNECTION" --wait >"$WORK/sync2.log" 2>&1 || {
  cat "$WORK/sync2.log"
  fail "second sync"
}
tail -n 12 "$WORK/sync2.log" | sed 's/^/    /'
second="$(sql "SELECT totals FROM ldsync.sync_runs WHERE connection_id = '$CONNECTION' ORDER BY started_at DESC LIMIT 1")"
say "second run totals $second"
node -e '
const t = JSON.parse(process.argv[1]);
if (t.inserted !== 0 || t.deleted !== 0 || t.updated !== 0) { console.error("rows were missing after the interrupted sync"); process.exit(1); }
' "$second" || fail "the interrupted sync lost rows"
# Rows of every data table of schema launchdarkly, however many streams the catalog has.
rows="$(sql "SELECT coalesce(sum((xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM launchdarkly.%I', table_name), false, true, '')))[1]::text::bigint), 0)
  FROM information_schema.tables WHERE table_schema = 'launchdarkly' AND table_type = 'BASE TABLE'")"
inserted="$(sql "SELECT (totals->>'inserted')::int FROM ldsync.sync_runs WHERE id = '$run_id'")"
say "rows in the tables: $rows; inserted by the interrupted run: $inserted"
[[ "$rows" == "$inserted" ]] || fail "the interrupted run's counts are not exact ($inserted inserted, $rows rows)"

# 8. The second worker stops the same way.
stop_worker "$B"
