#!/usr/bin/env bash
# A throwaway PostgreSQL cluster on 127.0.0.1 for the store, queue, dispatcher and tracker tests.
#
#   bash tests/integration/postgres.sh start   # install Debian's postgresql if needed, initdb, start, write env file
#   bash tests/integration/postgres.sh stop    # stop the cluster and remove its folder
#   bash tests/integration/postgres.sh pause   # stop the server as a crash would (immediate), keeping its data
#   bash tests/integration/postgres.sh resume  # start it again (the outage tests: tests/test_outage.py)
#
# initdb and pg_ctl refuse to run as root, so they run as the `postgres` user; the cluster trusts local
# connections (it is a test cluster on loopback only) and lives in a temporary folder.
# Knobs: POSTGRES_PORT (5433), POSTGRES_STATE_DIR (/tmp/publisher-postgres), POSTGRES_ENV_FILE
# (/tmp/publisher-postgres.env).
set -euo pipefail

PORT=${POSTGRES_PORT:-5433}
STATE=${POSTGRES_STATE_DIR:-/tmp/publisher-postgres}
ENV_FILE=${POSTGRES_ENV_FILE:-/tmp/publisher-postgres.env}

log() { printf '[postgres.sh %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

bindir() {
    local dir
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    [ -n "$dir" ] && echo "$dir"
}

as_postgres() { runuser -u postgres -- "$@"; }

start() {
    if [ -z "$(bindir)" ]; then
        log "installing postgresql"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    fi
    local bin
    bin=$(bindir)
    stop_quietly
    mkdir -p "$STATE"
    chown postgres:postgres "$STATE"
    as_postgres "$bin/initdb" -D "$STATE/data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
    server_start "$bin"
    "$bin/psql" -h 127.0.0.1 -p "$PORT" -U postgres -q -c "CREATE DATABASE publisher_test" >/dev/null
    cat > "$ENV_FILE" <<ENV
export PUBLISHER_TEST_POSTGRES_URL=postgresql+psycopg://postgres@127.0.0.1:$PORT/publisher_test
export PUBLISHER_TEST_POSTGRES_ADMIN_URL=postgresql+psycopg://postgres@127.0.0.1:$PORT/postgres
export PUBLISHER_TEST_POSTGRES_DATA=$STATE/data
ENV
    log "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$PORT"
}

server_start() {
    as_postgres "$1/pg_ctl" -D "$STATE/data" -l "$STATE/server.log" -w -t 30 \
        -o "-c listen_addresses=127.0.0.1 -p $PORT -k $STATE -c fsync=off -c max_connections=200" start >/dev/null
}

pause() {
    as_postgres "$(bindir)/pg_ctl" -D "$STATE/data" -m immediate -w stop >/dev/null
}

resume() {
    server_start "$(bindir)"
}

stop_quietly() {
    local bin
    bin=$(bindir) || return 0
    if [ -f "$STATE/data/postmaster.pid" ]; then
        as_postgres "$bin/pg_ctl" -D "$STATE/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$STATE"
}

case "${1:-}" in
    start) start ;;
    stop) stop_quietly; rm -f "$ENV_FILE" ;;
    pause) pause ;;
    resume) resume ;;
    *) echo "usage: $0 start|stop|pause|resume" >&2; exit 2 ;;
esac
