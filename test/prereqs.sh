#!/usr/bin/env bash
# Checks (and, as root on Debian, installs) what building and testing need:
# the server headers and PGXS, pgTAP, pg_prove, the isolation tester and
# asyncpg for examples/python, pytest, pytest-asyncio and psycopg 3 for
# clients/python's tests, psycopg2 for the differential fuzzer.
set -euo pipefail

PGMAJOR=${PGMAJOR:-15}
PG_CONFIG=${PG_CONFIG:-pg_config}
missing=()

pgxs=$($PG_CONFIG --pgxs 2>/dev/null || true)
# postgresql-client ships pgxs.mk alone: the server headers are the test
incdir=$($PG_CONFIG --includedir-server 2>/dev/null || true)
[ -n "$pgxs" ] && [ -f "$pgxs" ] && [ -f "$incdir/postgres.h" ] || missing+=("postgresql-server-dev-$PGMAJOR")
sharedir=$($PG_CONFIG --sharedir 2>/dev/null || echo /usr/share/postgresql/$PGMAJOR)
ls "$sharedir"/extension/pgtap.control >/dev/null 2>&1 || missing+=("postgresql-$PGMAJOR-pgtap")
command -v pg_prove >/dev/null 2>&1 || missing+=("libtap-parser-sourcehandler-pgtap-perl")
bindir=$($PG_CONFIG --bindir 2>/dev/null || echo /usr/lib/postgresql/$PGMAJOR/bin)
[ -x "$bindir/initdb" ] || missing+=("postgresql-$PGMAJOR")
# examples/python (Debian's interpreter, not one on PATH); without a Python
# and without root to install one, examples/run.sh skips it
if [ -x /usr/bin/python3 ] || [ "$(id -u)" = 0 ]; then
    /usr/bin/python3 -c 'import asyncpg' 2>/dev/null || missing+=("python3-asyncpg")
    # clients/python's tests (clients/run.sh), psycopg 3 for its optional driver
    /usr/bin/python3 -c 'import pytest' 2>/dev/null || missing+=("python3-pytest")
    /usr/bin/python3 -c 'import pytest_asyncio' 2>/dev/null || missing+=("python3-pytest-asyncio")
    /usr/bin/python3 -c 'import psycopg' 2>/dev/null || missing+=("python3-psycopg")
fi
# the differential fuzzer's short run (test/fuzz/difffuzz.py) needs Debian's psycopg2
{ [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import psycopg2' 2>/dev/null; } || missing+=("python3-psycopg2")

if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "prereqs: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    exit 0
fi

echo "prereqs: missing packages: ${missing[*]}" >&2
echo "prereqs: install them with: sudo apt-get install ${missing[*]}" >&2
exit 1
