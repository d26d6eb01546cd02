#!/usr/bin/env bash
# Bazaar at scale on one machine (issue 19): a PostgreSQL primary, a streaming replica made with
# `pg_basebackup -R`, PgBouncer in transaction mode in front of the primary, N Bazaar processes
# (`bazaar serve --workers W`, each its own process group, "host") and HAProxy in front of them
# with health checks on /health/ready. Everything runs from CLUSTER_DIR on its own ports; the
# server on 5432 and its data are never touched.
#
#   scripts/cluster.sh up        start what is not running (idempotent: after a crash, `up` again
#                                restarts the missing parts); creates and migrates the database
#   scripts/cluster.sh down      stop everything it started, remove CLUSTER_DIR
#   scripts/cluster.sh status    one line per part: running or not, port, pid
#   scripts/cluster.sh stop PART / start PART   PART = primary, replica, pgbouncer, app1..appN,
#                                haproxy (used by the tests to kill or pause one part)
#   scripts/cluster.sh env       the URLs, as shell assignments (eval "$(scripts/cluster.sh env)")
#
# Settings (environment, defaults): CLUSTER_DIR (/tmp/bazaar-cluster), CLUSTER_PORT_BASE (55400:
# primary +32, replica +33, pgbouncer +64, HAProxy +80, app i +80+i), CLUSTER_APPS (2),
# CLUSTER_WORKERS (2), CLUSTER_DB (bazaar), CLUSTER_POOL (pgbouncer default_pool_size, 4),
# CLUSTER_APP_DB (pgbouncer: the apps write through PgBouncer; primary: directly, for the
# benchmark's comparison), CLUSTER_REPLICA_READS (1: the apps read from the replica),
# SECRET_KEY (random per `up`, kept in CLUSTER_DIR: every process must share it), PG_BIN
# (/usr/lib/postgresql/<newest>/bin). Installs postgresql, pgbouncer and haproxy from Debian when
# absent (as root). PostgreSQL and PgBouncer run as the `postgres` user (they refuse root).
set -euo pipefail
REPO="$(cd "$(dirname "$0")/.." && pwd)"
DIR="${CLUSTER_DIR:-/tmp/bazaar-cluster}"
BASE="${CLUSTER_PORT_BASE:-55400}"
APPS="${CLUSTER_APPS:-2}"
WORKERS="${CLUSTER_WORKERS:-2}"
DB="${CLUSTER_DB:-bazaar}"
POOL="${CLUSTER_POOL:-4}"
PRIMARY_PORT=$((BASE + 32)) REPLICA_PORT=$((BASE + 33)) BOUNCER_PORT=$((BASE + 64)) LB_PORT=$((BASE + 80))
RUN_AS=postgres

log() { echo "[cluster] $*" >&2; }
die() { log "$*"; exit 1; }
app_port() { echo $((LB_PORT + $1)); }

install_tools() {
  local missing=()
  ls /usr/lib/postgresql/*/bin/pg_basebackup >/dev/null 2>&1 || missing+=(postgresql)
  command -v pgbouncer >/dev/null 2>&1 || [ -x /usr/sbin/pgbouncer ] || missing+=(pgbouncer)
  command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || missing+=(haproxy)
  [ ${#missing[@]} -eq 0 ] && return
  [ "$(id -u)" = 0 ] || die "needs ${missing[*]} (apt-get install ${missing[*]}, as root)"
  log "installing ${missing[*]} from Debian"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  # Debian's packages start their own services; this script runs its own copies only.
  for service in pgbouncer haproxy; do
    [[ " ${missing[*]} " == *" $service "* ]] && { service "$service" stop >/dev/null 2>&1 || true; }
  done
}

pg_bin() {
  if [ -n "${PG_BIN:-}" ]; then echo "$PG_BIN"; return; fi
  ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1
}

as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u "$RUN_AS" -- "$@"; else "$@"; fi
}

alive() { [ -f "$DIR/$1.pid" ] && kill -0 "$(head -n1 "$DIR/$1.pid")" 2>/dev/null; }

wait_port() {
  local port=$1 what=$2
  for _ in $(seq 1 150); do
    (echo >/dev/tcp/127.0.0.1/"$port") 2>/dev/null && return 0
    sleep 0.2
  done
  die "$what did not open port $port (logs in $DIR)"
}

layout() {
  mkdir -p "$DIR"
  [ "$(id -u)" = 0 ] && chown "$RUN_AS" "$DIR"
  [ -f "$DIR/secret" ] || python3 -c 'import secrets; print(secrets.token_urlsafe(32))' >"$DIR/secret"
  chmod 600 "$DIR/secret"
}

start_primary() {
  alive primary && return
  local bin; bin=$(pg_bin)
  if [ ! -f "$DIR/primary/PG_VERSION" ]; then
    log "initdb primary"
    as_pg "$bin/initdb" -D "$DIR/primary" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$DIR/initdb.log"
    cat >>"$DIR/primary/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PRIMARY_PORT
unix_socket_directories = '$DIR'
wal_level = replica
max_wal_senders = 4
hot_standby = on
max_connections = 100
fsync = off
full_page_writes = off
CONF
    echo "host replication postgres 127.0.0.1/32 trust" >>"$DIR/primary/pg_hba.conf"
  fi
  as_pg "$bin/pg_ctl" -D "$DIR/primary" -l "$DIR/primary.log" -w start >/dev/null
  head -n1 "$DIR/primary/postmaster.pid" >"$DIR/primary.pid"
  log "primary on $PRIMARY_PORT"
}

start_replica() {
  alive replica && return
  local bin; bin=$(pg_bin)
  if [ ! -f "$DIR/replica/PG_VERSION" ]; then
    log "pg_basebackup -R replica"
    as_pg "$bin/pg_basebackup" -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres -D "$DIR/replica" -R -X stream >/dev/null
    sed -i "s/^port = .*/port = $REPLICA_PORT/" "$DIR/replica/postgresql.conf"
  fi
  as_pg "$bin/pg_ctl" -D "$DIR/replica" -l "$DIR/replica.log" -w start >/dev/null
  head -n1 "$DIR/replica/postmaster.pid" >"$DIR/replica.pid"
  log "replica on $REPLICA_PORT"
}

start_pgbouncer() {
  alive pgbouncer && return
  cat >"$DIR/pgbouncer.ini" <<INI
[databases]
* = host=127.0.0.1 port=$PRIMARY_PORT
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $BOUNCER_PORT
unix_socket_dir =
auth_type = trust
auth_file = $DIR/userlist.txt
pool_mode = transaction
default_pool_size = $POOL
max_client_conn = 1000
server_reset_query =
ignore_startup_parameters = extra_float_digits
logfile = $DIR/pgbouncer.log
pidfile = $DIR/pgbouncer.pid
INI
  echo '"postgres" ""' >"$DIR/userlist.txt"
  [ "$(id -u)" = 0 ] && chown "$RUN_AS" "$DIR/pgbouncer.ini" "$DIR/userlist.txt"
  as_pg "$(command -v pgbouncer || echo /usr/sbin/pgbouncer)" -d "$DIR/pgbouncer.ini"
  wait_port "$BOUNCER_PORT" pgbouncer
  log "pgbouncer (transaction mode, $POOL server connections per database) on $BOUNCER_PORT"
}

urls() {
  echo "DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:$BOUNCER_PORT/$DB"
  echo "DATABASE_READ_URL=postgresql+asyncpg://postgres@127.0.0.1:$REPLICA_PORT/$DB"
  echo "PRIMARY_URL=postgresql+asyncpg://postgres@127.0.0.1:$PRIMARY_PORT/$DB"
  echo "BAZAAR_LB_URL=http://127.0.0.1:$LB_PORT"
}

create_database() {
  local bin; bin=$(pg_bin)
  if ! "$bin/psql" -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB'" | grep -q 1; then
    "$bin/psql" -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres -qc "CREATE DATABASE \"$DB\""
  fi
  # Migrations run against the primary directly (DDL, one session), the service through PgBouncer.
  (cd "$REPO" && DATABASE_URL="postgresql+asyncpg://postgres@127.0.0.1:$PRIMARY_PORT/$DB" "$(bazaar_bin)" migrate >/dev/null)
}

bazaar_bin() {
  if [ -n "${BAZAAR_BIN:-}" ]; then echo "$BAZAAR_BIN"; else echo "$REPO/.venv/bin/bazaar"; fi
}

start_app() {
  local i=$1 name="app$1"
  alive "$name" && return
  local port; port=$(app_port "$i")
  (
    cd "$REPO"
    export ENVIRONMENT=production LOG_FORMAT=json SECRET_KEY="$(cat "$DIR/secret")" \
      TRUSTED_PROXIES=127.0.0.1 DB_POOL_SIZE="${CLUSTER_APP_POOL:-10}"
    if [ "${CLUSTER_APP_DB:-pgbouncer}" = primary ]; then
      export DB_PGBOUNCER=false DATABASE_URL="postgresql+asyncpg://postgres@127.0.0.1:$PRIMARY_PORT/$DB"
    else
      export DB_PGBOUNCER=true DATABASE_URL="postgresql+asyncpg://postgres@127.0.0.1:$BOUNCER_PORT/$DB"
    fi
    if [ "${CLUSTER_REPLICA_READS:-1}" = 1 ]; then
      export DATABASE_READ_URL="postgresql+asyncpg://postgres@127.0.0.1:$REPLICA_PORT/$DB"
    fi
    # setsid: the process and its workers are one group, killed together like a host going away.
    setsid "$(bazaar_bin)" serve --port "$port" --workers "$WORKERS" >>"$DIR/$name.log" 2>&1 &
    echo $! >"$DIR/$name.pid"
  )
  for _ in $(seq 1 300); do
    curl -fsS "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1 && { log "$name on $port"; return; }
    sleep 0.2
  done
  die "$name did not become ready (see $DIR/$name.log)"
}

start_haproxy() {
  alive haproxy && return
  {
    cat <<CFG
global
  maxconn 4096
defaults
  mode http
  timeout connect 2s
  timeout client 60s
  timeout server 60s
  retries 2
  option redispatch
frontend bazaar
  bind 127.0.0.1:$LB_PORT
  default_backend apps
backend apps
  balance roundrobin
  option httpchk GET /health/ready
  http-check expect status 200
  option forwardfor
CFG
    for i in $(seq 1 "$APPS"); do
      echo "  server app$i 127.0.0.1:$(app_port "$i") check inter 500ms fall 2 rise 2"
    done
  } >"$DIR/haproxy.cfg"
  "$(command -v haproxy || echo /usr/sbin/haproxy)" -f "$DIR/haproxy.cfg" -D -p "$DIR/haproxy.pid"
  wait_port "$LB_PORT" haproxy
  log "haproxy on $LB_PORT -> ${APPS} apps"
}

stop_part() {
  local part=$1
  case "$part" in
    primary|replica)
      [ -f "$DIR/$part/postmaster.pid" ] && as_pg "$(pg_bin)/pg_ctl" -D "$DIR/$part" -m fast -w stop >/dev/null 2>&1 || true ;;
    pgbouncer|haproxy)
      alive "$part" && kill "$(head -n1 "$DIR/$part.pid")" 2>/dev/null || true ;;
    app*)
      # The whole process group (the serve process and its workers), hard: a host that vanishes.
      alive "$part" && kill -KILL -- "-$(head -n1 "$DIR/$part.pid")" 2>/dev/null || true ;;
    *) die "unknown part: $part" ;;
  esac
  rm -f "$DIR/$part.pid"
  log "$part stopped"
}

start_part() {
  case "$1" in
    primary) start_primary ;; replica) start_replica ;; pgbouncer) start_pgbouncer ;;
    haproxy) start_haproxy ;; app*) start_app "${1#app}" ;; *) die "unknown part: $1" ;;
  esac
}

parts() { echo primary replica pgbouncer; for i in $(seq 1 "$APPS"); do echo "app$i"; done; echo haproxy; }

case "${1:-}" in
  up)
    install_tools
    layout
    start_primary
    start_replica
    start_pgbouncer
    create_database
    for i in $(seq 1 "$APPS"); do start_app "$i"; done
    start_haproxy
    urls
    ;;
  down)
    [ -d "$DIR" ] || exit 0
    for part in $(parts | tac); do stop_part "$part"; done
    rm -rf "$DIR"
    ;;
  status)
    for part in $(parts); do
      if alive "$part"; then echo "$part running pid $(head -n1 "$DIR/$part.pid")"; else echo "$part stopped"; fi
    done
    ;;
  stop) stop_part "${2:?part}" ;;
  start) layout; start_part "${2:?part}" ;;
  env) urls ;;
  *) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 2 ;;
esac
