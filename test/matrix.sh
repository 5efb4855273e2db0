#!/usr/bin/env bash
# make test-matrix: the whole suite (make test) on every server we support:
#   - Debian's PostgreSQL 15, as users install it (pg_config on PATH);
#   - 15 and 18 built with --enable-cassert from Debian's source packages
#     (test/pgbuild.sh, cached in $MATRX_PG_CACHE, default
#     /var/cache/matrx_relations);
#   - 16, 17 and 19 the same way whenever their source package can be
#     fetched (today they cannot: each prints a "skipped" line).
# MATRIX_SERVERS overrides the list: words "system" or a major version with
# "-assert" ("system 18-assert"). One line per server; fails when any fails.
# Each server's full output is kept in $MATRIX_LOGS (default /tmp/matrx-matrix).
set -uo pipefail
cd "$(dirname "$0")/.."

servers=${MATRIX_SERVERS:-"system 15-assert 18-assert 16-assert? 17-assert? 19-assert?"}
logs=${MATRIX_LOGS:-/tmp/matrx-matrix}
mkdir -p "$logs"
status=0 summary=()
t_all=$(date +%s)

for s in $servers; do
    optional=0
    case $s in *\?) optional=1; s=${s%\?} ;; esac
    log=$logs/$s.log
    if [ "$s" = system ]; then
        pgc=$(command -v pg_config || echo pg_config)
    else
        major=${s%-assert}
        if ! pgc=$(test/pgbuild.sh "$major" 2>"$logs/$s.build.log"); then
            if [ $optional = 1 ]; then
                line="$(printf '%-12s skipped: %s' "$s" "$(tail -1 "$logs/$s.build.log")")"
            else
                line="$(printf '%-12s FAILED to build (see %s)' "$s" "$logs/$s.build.log")"; status=1
            fi
            summary+=("$line"); echo "matrix: $line"; continue
        fi
    fi
    version=$("$pgc" --version 2>/dev/null)
    t0=$(date +%s)
    echo "matrix: $s ($version): running the suite, output in $log"
    if PG_CONFIG=$pgc WERROR=1 make -s test >"$log" 2>&1; then
        result=ok
    else
        result=FAILED; status=1
    fi
    # pg_regress and isolation summaries, then pg_prove's
    tests="$(grep -oE '(All )?[0-9]+ (of [0-9]+ )?tests (passed|failed)' "$log" | head -2 | paste -sd, -); $(grep -oE 'Files=[0-9]+, Tests=[0-9]+' "$log" | head -1)"
    line="$(printf '%-10s %-22s %-6s %5d s  %s' "$s" "${version#PostgreSQL }" "$result" $(($(date +%s) - t0)) "$tests")"
    summary+=("$line"); echo "matrix: $line"
done

echo
echo "make test-matrix ($(($(date +%s) - t_all)) s):"
printf '  %s\n' "${summary[@]}"
[ $status -eq 0 ] && echo "make test-matrix: all servers passed" || echo "make test-matrix: FAILED"
exit $status
