#!/usr/bin/env bash
# A throw-away PgBouncer in transaction pooling mode in front of the local PostgreSQL, for CI
# (`make test-pgbouncer`): its configuration is written to a temporary directory and it
# listens on a loopback port only.
#
#   bash scripts/pgbouncer.sh start   prints the port it listens on (PGBOUNCER_PORT, default 6439, beside the usual 6432)
#   bash scripts/pgbouncer.sh stop
#
# PGBOUNCER_DIR (default /tmp/gomask-pgbouncer) holds pgbouncer.ini, its log and pid file.
# Any user and database are passed through to PostgreSQL at PG_HOST:PG_PORT (127.0.0.1:5432),
# which is trusted locally, as CI's PostgreSQL is.
set -euo pipefail

DIR="${PGBOUNCER_DIR:-/tmp/gomask-pgbouncer}"
PORT="${PGBOUNCER_PORT:-6439}"
PG_HOST="${PG_HOST:-127.0.0.1}"
PG_PORT="${PG_PORT:-5432}"
BIN="$(command -v pgbouncer || echo /usr/sbin/pgbouncer)"

stop() {
    local pid
    pid="$(cat "$DIR/pgbouncer.pid" 2>/dev/null || true)"
    if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
        kill "$pid"
        for _ in $(seq 1 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
    fi
    rm -rf "$DIR"
}

start() {
    if [[ ! -x "$BIN" ]]; then
        echo "pgbouncer is missing (Debian: apt-get install pgbouncer)." >&2
        exit 1
    fi
    stop
    mkdir -p "$DIR"
    # trust: PgBouncer checks nothing, but the user must be listed in auth_file.
    printf '"postgres" ""\n"%s" ""\n' "$(id -un)" > "$DIR/users.txt"
    cat > "$DIR/pgbouncer.ini" <<INI
[databases]
* = host=$PG_HOST port=$PG_PORT

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $PORT
unix_socket_dir =
auth_type = trust
auth_file = $DIR/users.txt
pool_mode = transaction
; more than the concurrency tests' threads, far fewer than PostgreSQL's max_connections
default_pool_size = 30
max_client_conn = 200
; successive transactions of one client go to different server connections, as in a busy
; pool: anything that wrongly outlives a transaction (a WITH HOLD cursor, a session SET) shows
server_round_robin = 1
logfile = $DIR/pgbouncer.log
pidfile = $DIR/pgbouncer.pid
INI
    local user_option=()
    # PgBouncer refuses to run as root: drop to the postgres user, who must read the directory.
    if [[ $(id -u) == 0 ]]; then
        chown -R postgres "$DIR"
        user_option=(-u postgres)
    fi
    "$BIN" -d "${user_option[@]}" "$DIR/pgbouncer.ini"
    for _ in $(seq 1 50); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
            echo "$PORT"
            return 0
        fi
        sleep 0.1
    done
    echo "PgBouncer did not start; its log:" >&2
    cat "$DIR/pgbouncer.log" >&2 || true
    exit 1
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
