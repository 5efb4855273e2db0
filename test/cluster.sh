# Throwaway PostgreSQL cluster for tests, the demo and the benchmark.
# Source this file, then call cluster_start; cluster_stop runs on exit.
# initdb refuses to run as root, so as root the server runs as the
# unprivileged "postgres" user (created by Debian's postgresql-common).
# CLUSTER_ENV (VAR=value words) is added to the server's environment and
# CLUSTER_CONF (lines) to its postgresql.conf: make test-asan sets them.

PG_CONFIG=${PG_CONFIG:-pg_config}
PGBIN=$($PG_CONFIG --bindir)
# every client a test runs (psql, pg_dump, pg_prove's psql, pg_config) is
# the tested server's own: make test PG_CONFIG=... tests that server alone
export PATH="$PGBIN:$PATH" PG_CONFIG
CLUSTER_DIR=""

# install_lock: hold, on file descriptor 9 until the script exits, the lock
# of the server installation the module is installed into: checkouts that
# install into one server take turns, tests of different servers (make
# test PG_CONFIG=..., make test-matrix) do not wait for each other
install_lock() {
    command -v flock >/dev/null 2>&1 || return 0
    local lib key=""
    lib=$($PG_CONFIG --pkglibdir)
    # the system's server keeps the name older checkouts lock
    [ "$lib" = "$(command -p pg_config --pkglibdir 2>/dev/null)" ] ||
        key=.$(echo "$lib" | md5sum | cut -c1-12)
    exec 9>"${TMPDIR:-/tmp}/matrx_relations.install$key.lock"
    flock 9
}

# run a server-side command as the cluster owner, in the server environment
# (CLUSTER_ENV: every server a script starts this way, a standby too, gets it)
as_owner() {
    # shellcheck disable=SC2086 # CLUSTER_ENV is a list of VAR=value words
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- env ${CLUSTER_ENV:-} "$@"
    else
        env ${CLUSTER_ENV:-} "$@"
    fi
}

# cluster_start [extra postgresql.conf lines...]: initdb in a temp dir, start on a unix socket
cluster_start() {
    CLUSTER_DIR=$(mktemp -d /tmp/matrx_relations.XXXXXX)
    chmod 755 "$CLUSTER_DIR"
    [ "$(id -u)" = 0 ] && chown postgres: "$CLUSTER_DIR"
    local port=${PGPORT_TEST:-$((54000 + RANDOM % 1000))}
    as_owner "$PGBIN/initdb" -D "$CLUSTER_DIR/data" -U postgres -A trust -E UTF8 \
        --locale=C.UTF-8 >"$CLUSTER_DIR/initdb.log" 2>&1 || {
        cat "$CLUSTER_DIR/initdb.log" >&2; return 1; }
    {
        echo "port = $port"
        echo "unix_socket_directories = '$CLUSTER_DIR'"
        echo "listen_addresses = '${CLUSTER_LISTEN:-}'"
        echo "shared_preload_libraries = 'pg_stat_statements'"
        echo "pg_stat_statements.track = all"
        echo "pg_stat_statements.max = 10000"
        echo "fsync = off"
        echo "synchronous_commit = off"
        echo "full_page_writes = off"
        echo "max_prepared_transactions = 10"
        echo "log_min_messages = warning"
        for line in "$@"; do echo "$line"; done
        [ -z "${CLUSTER_CONF:-}" ] || echo "$CLUSTER_CONF"
    } >>"$CLUSTER_DIR/data/postgresql.conf"
    trap cluster_stop EXIT
    as_owner "$PGBIN/pg_ctl" -D "$CLUSTER_DIR/data" -l "$CLUSTER_DIR/server.log" -w -t 60 start >/dev/null || {
        cat "$CLUSTER_DIR/server.log" >&2; return 1; }
    export PGHOST=$CLUSTER_DIR PGPORT=$port PGUSER=postgres PGDATABASE=postgres
}

# cluster_stop: stop the server and remove its directory
cluster_stop() {
    [ -n "$CLUSTER_DIR" ] || return 0
    if [ -f "$CLUSTER_DIR/data/postmaster.pid" ]; then
        as_owner "$PGBIN/pg_ctl" -D "$CLUSTER_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    if [ -n "${KEEP_CLUSTER:-}" ]; then
        echo "cluster kept in $CLUSTER_DIR" >&2
    else
        rm -rf "$CLUSTER_DIR"
    fi
    CLUSTER_DIR=""
}
