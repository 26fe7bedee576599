#!/usr/bin/env bash
# Start PostgreSQL and Redis on loopback for the production-like mode and CI, installing them from
# Debian's packages when missing. Prints the DATABASE_URL / REDIS_URL exports to stdout.
#   eval "$(scripts/services.sh start)"      # then: make test, bench, worker...
#   scripts/services.sh stop
#   scripts/services.sh start --durable   # a second cluster (port 54330) with production durability
#
# The default cluster trades durability for speed (fsync, synchronous_commit and full_page_writes off):
# right for tests, wrong for measuring what a commit costs. Benchmarks whose figures depend on the
# commit (bench/run.py claims) are run against the --durable cluster, which keeps PostgreSQL's
# defaults as a production server would.
set -euo pipefail
DURABLE=0
if [ "${2:-}" = "--durable" ]; then DURABLE=1; fi
if [ $DURABLE = 1 ]; then
  PGPORT=${PGPORT:-54330}
  STATE=${SERVICES_DIR:-/tmp/ybjb-services-durable}
else
  PGPORT=${PGPORT:-54329}
  STATE=${SERVICES_DIR:-/tmp/ybjb-services}
fi
REDISPORT=${REDISPORT:-63799}
log() { echo "services: $*" >&2; }

ensure_packages() {
  local need=()
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
  command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
  if [ ${#need[@]} -gt 0 ]; then
    log "installing ${need[*]} with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq "${need[@]}" >&2
  fi
}

pg_bin() { ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1; }

as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start() {
  ensure_packages
  mkdir -p "$STATE"
  local bin; bin=$(pg_bin)
  if [ "$(id -u)" = 0 ]; then chown postgres: "$STATE"; fi
  if [ ! -f "$STATE/pg/PG_VERSION" ]; then
    log "initdb in $STATE/pg"
    as_postgres "$bin/initdb" -D "$STATE/pg" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
    cat >> "$STATE/pg/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PGPORT
unix_socket_directories = '$STATE'
max_connections = 200
shared_buffers = 512MB
work_mem = 64MB
maintenance_work_mem = 256MB
max_wal_size = 4GB
CONF
    if [ $DURABLE = 0 ]; then
      printf 'fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n' >> "$STATE/pg/postgresql.conf"
    fi
  fi
  if ! as_postgres "$bin/pg_ctl" -D "$STATE/pg" status >/dev/null 2>&1; then
    as_postgres "$bin/pg_ctl" -D "$STATE/pg" -l "$STATE/pg.log" -w start >/dev/null
  fi
  if ! redis-cli -p "$REDISPORT" ping >/dev/null 2>&1; then
    redis-server --port "$REDISPORT" --bind 127.0.0.1 --daemonize yes --save '' --appendonly no \
      --logfile "$STATE/redis.log" >/dev/null
    for _ in $(seq 50); do redis-cli -p "$REDISPORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
  fi
  local db=${PGDATABASE:-ybjb}
  if ! psql -h 127.0.0.1 -p "$PGPORT" -U postgres -Atc "select 1 from pg_database where datname='$db'" postgres | grep -q 1; then
    psql -h 127.0.0.1 -p "$PGPORT" -U postgres -qc "create database $db" postgres >&2
  fi
  log "PostgreSQL on 127.0.0.1:$PGPORT, Redis on 127.0.0.1:$REDISPORT"
  echo "export DATABASE_URL=postgres://postgres@127.0.0.1:$PGPORT/${PGDATABASE:-ybjb}"
  echo "export REDIS_URL=redis://127.0.0.1:$REDISPORT/0"
}

stop() {
  local bin; bin=$(pg_bin)
  as_postgres "$bin/pg_ctl" -D "$STATE/pg" -m fast stop >/dev/null 2>&1 || true
  redis-cli -p "$REDISPORT" shutdown nosave >/dev/null 2>&1 || true
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
