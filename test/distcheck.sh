#!/usr/bin/env bash
# make distcheck: the tarball make dist wrote (NAME.tar.gz) must build and
# pass make test on its own, unpacked in a temporary directory: nothing it
# needs may live only in the checkout (untracked or ignored files).
# Not part of make test: its make test takes the same install lock.
set -euo pipefail
name=$1
tmp=$(mktemp -d /tmp/matrx_distcheck.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
tar -xzf "$name.tar.gz" -C "$tmp"
[ -d "$tmp/$name" ] || { echo "distcheck: $name.tar.gz has no $name/ directory" >&2; exit 1; }
echo "distcheck: make test in $tmp/$name"
if make -C "$tmp/$name" test; then
    echo "distcheck: $name.tar.gz builds and passes make test"
else
    echo "distcheck: FAILED: make test in the unpacked $name.tar.gz" >&2
    exit 1
fi
