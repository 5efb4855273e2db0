#!/usr/bin/env bash
# The loaders on a hot standby.  Starts its own primary (TCP on 127.0.0.1
# only, a free port, replication allowed from 127.0.0.1 only) and a
# streaming standby made by pg_basebackup -R over loopback, then checks:
#   - every loader returns on the standby exactly what it returns on the
#     primary (same text, row for row);
#   - the relation cache is exact there: inside a REPEATABLE READ
#     transaction a commit replayed from the primary is not seen by a
#     repeated load (served from the cache: 0 statements), and a new
#     transaction or a READ COMMITTED load sees it (statements run again);
#   - register_relation and unregister_relation fail with 25006 (read-only).
# Both servers are stopped and removed on exit, failures included.
set -euo pipefail
cd "$(dirname "$0")/.."
export PG_CONFIG=${PG_CONFIG:-pg_config}

# replica.sh --change VALUE (run by the standby session through \!): commits
# a change on the primary, then waits until the standby has replayed it
if [ "${1:-}" = --change ]; then
    p() { PGHOST=$PRIMARY_DIR PGPORT=$PRIMARY_PORT "$PGBIN/psql" -X -q -At -v ON_ERROR_STOP=1 -d matrx_replica "$@"; }
    p -c "UPDATE customers SET name = '$2' WHERE id IN (2, 3, 4)" \
      -c "UPDATE orders SET total = total + 1 WHERE customer_id IN (1, 2, 3)"
    lsn=$(p -c "SELECT pg_current_wal_insert_lsn()")
    for i in $(seq 1 300); do
        [ "$(PGHOST=$STANDBY_DIR PGPORT=$STANDBY_PORT "$PGBIN/psql" -X -At -d matrx_replica \
             -c "SELECT pg_last_wal_replay_lsn() >= '$lsn'::pg_lsn")" = t ] && exit 0
        sleep 0.1
    done
    echo "the standby did not replay $lsn within 30 s" >&2
    exit 1
fi
. test/cluster.sh
PGBIN=$($PG_CONFIG --bindir)
fail=0
ok() { echo "ok - $*"; }
notok() { echo "not ok - $*"; fail=1; }

# free_port: a port nothing listens on at 127.0.0.1
free_port() {
    local p i
    for i in $(seq 1 50); do
        p=$((55000 + RANDOM % 5000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            echo "$p"; return 0
        fi
    done
    return 1
}

STANDBY_DIR=""
# stop and remove the standby, then the primary
cleanup() {
    if [ -n "$STANDBY_DIR" ]; then
        if [ -f "$STANDBY_DIR/data/postmaster.pid" ]; then
            as_owner "$PGBIN/pg_ctl" -D "$STANDBY_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
        fi
        if [ -n "${KEEP_CLUSTER:-}" ]; then echo "standby kept in $STANDBY_DIR" >&2; else rm -rf "$STANDBY_DIR"; fi
        STANDBY_DIR=""
    fi
    cluster_stop
}

PRIMARY_PORT=$(free_port) || { echo "not ok - no free port" >&2; exit 1; }
PGPORT_TEST=$PRIMARY_PORT CLUSTER_LISTEN=127.0.0.1 cluster_start \
    "wal_level = replica" "max_wal_senders = 4" || exit 1
trap cleanup EXIT
PRIMARY_DIR=$CLUSTER_DIR

# connections: the unix socket, and replication over 127.0.0.1 only
cat >"$PRIMARY_DIR/data/pg_hba.conf" <<'HBA'
local   all           all                 trust
host    all           all   127.0.0.1/32  trust
host    replication   all   127.0.0.1/32  trust
HBA
as_owner "$PGBIN/pg_ctl" -D "$PRIMARY_DIR/data" reload >/dev/null

# pg: psql against one server (p: primary, s: standby), unaligned tuples only
pg() {
    local which=$1; shift
    if [ "$which" = p ]; then
        PGHOST=$PRIMARY_DIR PGPORT=$PRIMARY_PORT "$PGBIN/psql" -X -q -At -v ON_ERROR_STOP=1 -d matrx_replica "$@"
    else
        PGHOST=$STANDBY_DIR PGPORT=$STANDBY_PORT "$PGBIN/psql" -X -q -At -v ON_ERROR_STOP=1 -d matrx_replica "$@"
    fi
}

"$PGBIN/createdb" matrx_replica
pg p >/dev/null <<'SQL'
CREATE EXTENSION matrx_relations;
CREATE TABLE customers (id int PRIMARY KEY, name text);
CREATE TABLE addresses (id int PRIMARY KEY, city text);
CREATE TABLE orders (id int PRIMARY KEY, customer_id int REFERENCES customers,
                     billing_address_id int REFERENCES addresses,
                     shipping_address_id int REFERENCES addresses, total numeric);
CREATE TABLE products (id int PRIMARY KEY, name text);
CREATE TABLE items (id int PRIMARY KEY, order_id int REFERENCES orders,
                    product_id int REFERENCES products, qty int);
CREATE TABLE tags (id int PRIMARY KEY, label text);
CREATE TABLE product_tags (product_id int REFERENCES products, tag_id int REFERENCES tags,
                           PRIMARY KEY (product_id, tag_id));
CREATE VIEW big_orders AS SELECT * FROM orders WHERE total > 20;
INSERT INTO customers SELECT g, 'c' || g FROM generate_series(1, 200) g;
INSERT INTO addresses SELECT g, 'city ' || g FROM generate_series(1, 100) g;
INSERT INTO orders SELECT g, 1 + g % 200, 1 + g % 100, 1 + (g * 7) % 100, (g % 97)::numeric
  FROM generate_series(1, 1000) g;
INSERT INTO products SELECT g, 'p' || g FROM generate_series(1, 50) g;
INSERT INTO items SELECT g, 1 + g % 1000, 1 + g % 50, g % 5 FROM generate_series(1, 3000) g;
INSERT INTO tags SELECT g, 't' || g FROM generate_series(1, 10) g;
INSERT INTO product_tags SELECT p, t FROM generate_series(1, 50) p, generate_series(1, 10) t
  WHERE (p + t) % 3 = 0;
SELECT matrx_relations.register_relation('customers', 'big_orders', 'big_orders', '{id}', '{customer_id}');
VACUUM ANALYZE;
SQL

STANDBY_PORT=$(free_port) || { notok "no free port for the standby"; exit 1; }
STANDBY_DIR=$(mktemp -d /tmp/matrx_relations.standby.XXXXXX)
chmod 755 "$STANDBY_DIR"
[ "$(id -u)" = 0 ] && chown postgres: "$STANDBY_DIR"
as_owner "$PGBIN/pg_basebackup" -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres \
    -D "$STANDBY_DIR/data" -R -X stream -c fast >"$STANDBY_DIR/basebackup.log" 2>&1 || {
    cat "$STANDBY_DIR/basebackup.log" >&2; notok "pg_basebackup over 127.0.0.1"; exit 1; }
{
    echo "port = $STANDBY_PORT"
    echo "unix_socket_directories = '$STANDBY_DIR'"
    echo "listen_addresses = ''"
    echo "hot_standby = on"
    # the primary keeps the rows an open standby snapshot needs (no replay conflicts)
    echo "hot_standby_feedback = on"
} >>"$STANDBY_DIR/data/postgresql.conf"
as_owner "$PGBIN/pg_ctl" -D "$STANDBY_DIR/data" -l "$STANDBY_DIR/server.log" -w -t 60 start >/dev/null || {
    cat "$STANDBY_DIR/server.log" >&2; notok "standby start"; exit 1; }

# replayed: waits until the standby has replayed everything the primary wrote
# (the insert position: with synchronous_commit off a commit may not be written yet)
replayed() {
    local lsn i
    lsn=$(pg p -c "SELECT pg_current_wal_insert_lsn()")
    for i in $(seq 1 300); do
        if [ "$(pg s -c "SELECT pg_last_wal_replay_lsn() >= '$lsn'::pg_lsn")" = t ]; then
            return 0
        fi
        sleep 0.1
    done
    echo "the standby did not replay $lsn within 30 s" >&2
    return 1
}
replayed || { notok "standby replay"; exit 1; }

if [ "$(pg s -c "SELECT pg_is_in_recovery()")" = t ] &&
   [ "$(pg p -c "SELECT count(*) FROM pg_stat_replication WHERE client_addr = '127.0.0.1' AND state = 'streaming'")" = 1 ]; then
    ok "a hot standby streams from the primary over 127.0.0.1"
else
    notok "the standby is not a streaming hot standby"
fi

# Every loader, then what each returned, on both servers
declare -A LOADS=(
  [prefetch_related_keys]="SELECT d FROM matrx_relations.prefetch_related('orders', ARRAY[5, 1, 999, 5, NULL, 400, 123456], 'customer', 'billing_address', 'ship:shipping_address', 'items.product.tags') d"
  [prefetch_related_instances]="SELECT matrx_relations.prefetch_related('orders', (SELECT jsonb_agg(to_jsonb(o) ORDER BY o.id DESC) FROM orders o WHERE o.id % 37 = 0), 'customer', 'items.product')"
  [select_related]="SELECT d FROM matrx_relations.select_related('orders', ARRAY[5, 1, 999, 5, NULL, 400, 123456], 'customer', 'billing_address', 'ship:shipping_address', 'items.product.tags') d"
  [prefetch_batch]="SELECT matrx_relations.prefetch_batch('[{\"source\": \"public.orders\", \"keys\": [3, 2, 1], \"relations\": [\"customer\", \"items\"]}, {\"source\": \"public.customers\", \"keys\": [7, 8], \"relations\": [\"orders.items\", \"big_orders\"]}, {\"source\": \"public.products\", \"instances\": [{\"id\": 3}, {\"id\": 4}], \"relations\": [\"tags\"]}]')"
  [fetch_related]="SELECT source_key, related FROM matrx_relations.fetch_related(NULL::orders, 'customers', 'orders', ARRAY[9, 3, 3, NULL, 500])"
  [fetch_related_registered]="SELECT source_key, related FROM matrx_relations.fetch_related(NULL::big_orders, 'customers', 'big_orders', ARRAY[1, 2, 3, 4])"
  [fetch_related_array]="SELECT source_key, related FROM matrx_relations.fetch_related_array(NULL::tags, 'products', 'tags', ARRAY[3, 1, 4, 50, 51])"
  [explain_related]="SELECT * FROM matrx_relations.explain_related('orders', 'customer', 'billing_address', 'shipping_address', 'items.product.tags')"
  [relations]="SELECT source, name, kind, target, source_columns, target_columns, via, via_source_columns, via_target_columns, constraint_name, origin FROM matrx_relations.relations ORDER BY source::text, name"
)
out=$(mktemp -d)
for name in $(printf '%s\n' "${!LOADS[@]}" | sort); do
    pg p -c "${LOADS[$name]}" >"$out/$name.primary" 2>&1 || true
    pg s -c "${LOADS[$name]}" >"$out/$name.standby" 2>&1 || true
    lines=$(wc -l <"$out/$name.primary")
    if grep -q ERROR "$out/$name.primary" || [ "$lines" -lt 1 ] || [ "$(wc -c <"$out/$name.primary")" -lt 20 ]; then
        notok "$name on the primary: $(head -c 300 "$out/$name.primary")"
    elif cmp -s "$out/$name.primary" "$out/$name.standby"; then
        ok "$name: the standby returns what the primary returns ($lines rows)"
    else
        notok "$name differs on the standby:"
        diff "$out/$name.primary" "$out/$name.standby" | head -20
    fi
done
rm -rf "$out"

# The cache on the standby.  One standby session; \! runs the change on the
# primary and waits for its replay while that session's transaction is open.
LOAD="SELECT md5(string_agg(d::text, ',')) FROM matrx_relations.prefetch_related('orders', ARRAY[1, 2, 3], 'customer', 'items.product') d"
FETCH="SELECT md5(string_agg(related::text, ',')) FROM matrx_relations.fetch_related(NULL::orders, 'customers', 'orders', ARRAY[1, 2, 3])"
STMTS="SELECT statements FROM matrx_relations.stats()"
export PRIMARY_DIR PRIMARY_PORT STANDBY_DIR STANDBY_PORT PGBIN
CHANGE="$PWD/test/replica.sh --change"
cache_run() {
    local isolation=$1 new_value=$2
    pg s <<SQL
SET matrx_relations.cache = on;
BEGIN ISOLATION LEVEL $isolation;
$STMTS;
$LOAD;
$FETCH;
$STMTS;
\\! $CHANGE $new_value
$LOAD;
$FETCH;
$STMTS;
COMMIT;
$LOAD;
$FETCH;
$STMTS;
SQL
}

# rr: before, s0, load, fetch, s1, [change], load, fetch, s2, [commit], load, fetch, s3
mapfile -t rr < <(cache_run "REPEATABLE READ" "rr-$RANDOM")
if [ "${#rr[@]}" -ne 10 ]; then
    notok "REPEATABLE READ cache run: ${rr[*]}"
else
    # rr[0]=s0 rr[1]=load rr[2]=fetch rr[3]=s1 rr[4]=load rr[5]=fetch rr[6]=s2 rr[7]=load rr[8]=fetch rr[9]=s3
    if [ "${rr[4]}" = "${rr[1]}" ] && [ "${rr[5]}" = "${rr[2]}" ] && [ "${rr[6]}" = "${rr[3]}" ] && [ "${rr[3]}" -gt "${rr[0]}" ]; then
        ok "REPEATABLE READ on the standby: a replayed commit is not seen by the repeated loads (0 statements: $((rr[3] - rr[0])) then $((rr[6] - rr[3])))"
    else
        notok "REPEATABLE READ on the standby: ${rr[*]}"
    fi
    if [ "${rr[7]}" != "${rr[1]}" ] && [ "${rr[8]}" != "${rr[2]}" ] && [ "${rr[9]}" -gt "${rr[6]}" ]; then
        ok "a new transaction on the standby sees the replayed commit ($((rr[9] - rr[6])) statements)"
    else
        notok "a new transaction on the standby: ${rr[*]}"
    fi
fi
mapfile -t rc < <(cache_run "READ COMMITTED" "rc-$RANDOM")
if [ "${#rc[@]}" -ne 10 ]; then
    notok "READ COMMITTED cache run: ${rc[*]}"
elif [ "${rc[4]}" != "${rc[1]}" ] && [ "${rc[5]}" != "${rc[2]}" ] && [ "${rc[6]}" -gt "${rc[3]}" ]; then
    ok "READ COMMITTED on the standby: the repeated loads see the replayed commit ($((rc[6] - rc[3])) statements)"
else
    notok "READ COMMITTED on the standby: ${rc[*]}"
fi
# writes are refused: 25006
for call in "SELECT matrx_relations.register_relation('customers', 'x', 'orders', '{id}', '{customer_id}')" \
            "SELECT matrx_relations.unregister_relation('customers', 'big_orders')"; do
    err=$(pg s -v VERBOSITY=verbose -c "$call" 2>&1 || true)
    if echo "$err" | grep -q "ERROR:  25006"; then
        ok "on the standby, ${call:7:40}...: 25006"
    else
        notok "on the standby, $call: $err"
    fi
done

[ $fail -eq 0 ] || echo "replica.sh: FAILED (server logs: $PRIMARY_DIR/server.log, $STANDBY_DIR/server.log; KEEP_CLUSTER=1 keeps them)"
exit $fail
