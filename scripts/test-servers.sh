#!/usr/bin/env bash
# Starts and stops the real servers the backend tests run against: PostgreSQL 15,
# etcd 3.4 (at its default limits) and s3rver, each on free 127.0.0.1 ports with its
# data in one temp dir.
#
#   scripts/test-servers.sh start ENVFILE   # writes KEY=VALUE endpoints to ENVFILE
#   scripts/test-servers.sh stop ENVFILE    # stops what ENVFILE names, removes temp dirs
#
# ENVFILE (read by tests/testing/test_util.h) gets CAIRN_TEST_POSTGRES_URL,
# CAIRN_TEST_POSTGRES_PASSWORD, CAIRN_TEST_ETCD_URL, CAIRN_TEST_S3_URL,
# CAIRN_TEST_S3_ACCESS_KEY, CAIRN_TEST_S3_SECRET_KEY, plus the pids and temp dir that
# `stop` needs. State is appended as each server starts, so `stop` cleans up after a
# `start` that failed halfway. `start` first stops whatever ENVFILE already names.
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 start|stop ENVFILE" >&2; exit 2; }
ENVFILE=$2
case "$ENVFILE" in /*) ;; *) ENVFILE=$PWD/$ENVFILE ;; esac
cd "$(dirname "$0")/.."
REPO=$PWD

PG_BIN=${CAIRN_PG_BIN:-/usr/lib/postgresql/15/bin}
ETCD_BIN=${CAIRN_ETCD_BIN:-/usr/bin/etcd}
S3RVER_BIN=${CAIRN_S3RVER_BIN:-$REPO/tools/node_modules/.bin/s3rver}
S3RVER_FIXES=$REPO/tests/object_store/s3_s3rver_fixes.js
READY_TIMEOUT=${CAIRN_TEST_SERVERS_TIMEOUT:-60}
S3_BUCKET=cairn-test
S3_KEY=S3RVER  # s3rver's built-in account; it does not verify SigV4 signatures

die() {
  echo "test-servers: error: $*" >&2
  exit 1
}
log() { echo "test-servers: $*" >&2; }

# Prints N distinct ports that were free a moment ago. All sockets are held open
# together so the kernel cannot hand out the same port twice.
free_ports() {
  local n=$1
  if command -v python3 >/dev/null 2>&1; then
    python3 - "$n" <<'EOF'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
  else
    node -e '
      const net = require("net"); const n = +process.argv[1]; const servers = [];
      const next = () => {
        if (servers.length === n) {
          console.log(servers.map(s => s.address().port).join(" "));
          servers.forEach(s => s.close()); return;
        }
        const s = net.createServer(); servers.push(s); s.listen(0, "127.0.0.1", next);
      };
      next();' "$n"
  fi
}

env_get() {  # env_get FILE KEY -> value or empty
  [ -f "$1" ] || return 0
  sed -n "s/^$2=//p" "$1" | tail -n 1
}

record() {  # record KEY VALUE: appends to the env file at once (for a later stop)
  echo "$1=$2" >>"$ENVFILE"
}

# Waits until `check` succeeds, or fails naming the server and its log.
wait_ready() {
  local name=$1 logfile=$2 pid=$3
  shift 3
  local deadline=$((SECONDS + READY_TIMEOUT))
  until "$@" >/dev/null 2>&1; do
    if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
      tail -n 20 "$logfile" >&2 || true
      die "$name exited during startup (log: $logfile)"
    fi
    if ((SECONDS >= deadline)); then
      tail -n 20 "$logfile" >&2 || true
      die "$name not ready after ${READY_TIMEOUT}s (log: $logfile)"
    fi
    sleep 0.2
  done
}

# Runs a command as the postgres user when we are root (PostgreSQL refuses root).
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

start_postgres() {
  [ -x "$PG_BIN/initdb" ] || die "PostgreSQL 15 not found at $PG_BIN (run scripts/install-deps.sh)"
  local port=$1 dir=$ROOT/pg password
  password=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
  mkdir -p "$dir"
  [ "$(id -u)" -ne 0 ] || chown postgres: "$dir"
  # Local (socket) connections are trusted for setup; TCP needs the password, so a
  # wrong password is rejected as it would be in production.
  as_pg "$PG_BIN/initdb" -D "$dir/data" -U postgres --auth-local=trust \
    --auth-host=scram-sha-256 --no-sync >"$dir/initdb.log" 2>&1 ||
    { tail -n 20 "$dir/initdb.log" >&2; die "initdb failed (log: $dir/initdb.log)"; }
  as_pg "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t "$READY_TIMEOUT" \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off \
        -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
    start >"$dir/pg_ctl.log" 2>&1 ||
    { tail -n 20 "$dir/postgres.log" >&2 || true; die "PostgreSQL failed to start (log: $dir/postgres.log)"; }
  record CAIRN_TEST_POSTGRES_PID "$(head -n 1 "$dir/data/postmaster.pid")"
  wait_ready PostgreSQL "$dir/postgres.log" "" "$PG_BIN/pg_isready" -h 127.0.0.1 -p "$port" -t 1
  as_pg "$PG_BIN/psql" -h "$dir" -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 -q \
    -c "CREATE ROLE cairn LOGIN CREATEDB PASSWORD '$password'" \
    -c "CREATE DATABASE cairn_test OWNER cairn" >"$dir/setup.log" 2>&1 ||
    { cat "$dir/setup.log" >&2; die "creating the cairn role and database failed"; }
  record CAIRN_TEST_POSTGRES_URL "postgres://cairn@127.0.0.1:$port/cairn_test"
  record CAIRN_TEST_POSTGRES_PASSWORD "$password"
  log "PostgreSQL on 127.0.0.1:$port"
}

start_etcd() {
  [ -x "$ETCD_BIN" ] || die "etcd not found at $ETCD_BIN (run scripts/install-deps.sh)"
  local client=$1 peer=$2 dir=$ROOT/etcd pid
  mkdir -p "$dir"
  # etcd's DEFAULT limits (--max-txn-ops 128, --max-request-bytes 1.5 MiB, 2 GiB
  # quota), as operators run it: every meta-store commit must fit them
  # (MetaStore::BulkTxnLimits). Only the ports and the data dir are set.
  setsid "$ETCD_BIN" --name cairn-test --data-dir "$dir/data" \
    --listen-client-urls "http://127.0.0.1:$client" \
    --advertise-client-urls "http://127.0.0.1:$client" \
    --listen-peer-urls "http://127.0.0.1:$peer" \
    --initial-advertise-peer-urls "http://127.0.0.1:$peer" \
    --initial-cluster "cairn-test=http://127.0.0.1:$peer" \
    </dev/null >"$dir/etcd.log" 2>&1 &
  pid=$!
  record CAIRN_TEST_ETCD_PID "$pid"
  wait_ready etcd "$dir/etcd.log" "$pid" \
    sh -c "curl -fsS --max-time 2 http://127.0.0.1:$client/health | grep -q '\"health\":\"true\"'"
  record CAIRN_TEST_ETCD_URL "etcd://127.0.0.1:$client"
  log "etcd on 127.0.0.1:$client"
}

start_s3rver() {
  [ -x "$S3RVER_BIN" ] || die "s3rver not found at $S3RVER_BIN (run scripts/install-deps.sh)"
  local port=$1 dir=$ROOT/s3 pid
  mkdir -p "$dir/data"
  # s3rver's continuation tokens use DES (OpenSSL 3 "legacy" provider), and
  # s3_s3rver_fixes.js makes its listing order and overwrites behave like S3's.
  CAIRN_S3RVER_MODULES="$(dirname "$(dirname "$S3RVER_BIN")")" \
    NODE_OPTIONS="--openssl-legacy-provider --require $S3RVER_FIXES" \
    setsid "$S3RVER_BIN" -d "$dir/data" -a 127.0.0.1 -p "$port" --silent --no-vhost-buckets \
    --configure-bucket "$S3_BUCKET" </dev/null >"$dir/s3rver.log" 2>&1 &
  pid=$!
  record CAIRN_TEST_S3RVER_PID "$pid"
  # Ready when the configured bucket answers (s3rver creates it at startup).
  wait_ready s3rver "$dir/s3rver.log" "$pid" \
    curl -fsS --max-time 2 -o /dev/null "http://127.0.0.1:$port/$S3_BUCKET"
  record CAIRN_TEST_S3_URL "s3://$S3_BUCKET?endpoint=http://127.0.0.1:$port&region=us-east-1"
  record CAIRN_TEST_S3_ACCESS_KEY "$S3_KEY"
  record CAIRN_TEST_S3_SECRET_KEY "$S3_KEY"
  log "s3rver on 127.0.0.1:$port (bucket $S3_BUCKET)"
}

# stop_pid PID PATTERN SIGNAL: signals PID only if its command line matches PATTERN
# (a recycled pid must not be killed), then waits for it, escalating to SIGKILL.
stop_pid() {
  local pid=$1 pattern=$2 sig=$3
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 0
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$pattern" || return 0
  kill "-$sig" "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  log "pid $pid ($pattern) ignored SIG$sig; killing"
  kill -KILL "$pid" 2>/dev/null || true
}

cmd_stop() {
  [ -f "$ENVFILE" ] || return 0
  local root
  # SIGINT is PostgreSQL's "fast" shutdown; the others stop on SIGTERM.
  stop_pid "$(env_get "$ENVFILE" CAIRN_TEST_POSTGRES_PID)" postgres INT
  stop_pid "$(env_get "$ENVFILE" CAIRN_TEST_ETCD_PID)" etcd TERM
  stop_pid "$(env_get "$ENVFILE" CAIRN_TEST_S3RVER_PID)" s3rver TERM
  root=$(env_get "$ENVFILE" CAIRN_TEST_SERVERS_DIR)
  # Only ever remove a directory this script created.
  case "$root" in
    */cairn-test-servers.*) rm -rf -- "$root" ;;
  esac
  rm -f -- "$ENVFILE"
}

cmd_start() {
  cmd_stop
  mkdir -p "$(dirname "$ENVFILE")"
  : >"$ENVFILE"
  # A failed start leaves nothing running (the log tail was already printed).
  trap 'status=$?; ((status == 0)) || cmd_stop' EXIT
  # Not $TMPDIR: the postgres user must be able to reach the dir, and PostgreSQL's
  # socket path inside it must stay under the ~107-byte Unix socket limit.
  ROOT=$(mktemp -d "${CAIRN_TEST_SERVERS_TMP:-/tmp}/cairn-test-servers.XXXXXX")
  chmod 755 "$ROOT"  # the postgres user must reach its data dir inside
  record CAIRN_TEST_SERVERS_DIR "$ROOT"
  local ports
  read -r -a ports <<<"$(free_ports 4)"
  ((${#ports[@]} == 4)) || die "could not pick free ports"
  start_postgres "${ports[0]}"
  start_etcd "${ports[1]}" "${ports[2]}"
  start_s3rver "${ports[3]}"
  log "endpoints written to $ENVFILE"
}

case "$1" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  *)
    echo "usage: $0 start|stop ENVFILE" >&2
    exit 2
    ;;
esac
