#!/usr/bin/env bash
# Run by make before building: the control file's default_version, the
# install scripts and the upgrade scripts must agree, or the build fails.
#   - the version is X.Y.Z (PGXN's semantic versions);
#   - src/EXT.sql (generated into EXT--VERSION.sql) exists, and no frozen
#     sql/upgrades/EXT--VERSION.sql would be installed over the generated one;
#   - every released version (a frozen install script or either end of an
#     upgrade script in sql/upgrades/) reaches VERSION through upgrade scripts;
#   - META.json, when present, carries VERSION for the distribution and the
#     extension, and CHANGELOG.md has a section for it.
set -euo pipefail
ext=$1 version=$2
dir=sql/upgrades
fail() { echo "check-versions: $*" >&2; exit 1; }

[[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] ||
    fail "$ext.control: default_version '$version' is not X.Y.Z"
[ -f "src/$ext.sql" ] || fail "src/$ext.sql is missing: nothing to generate $ext--$version.sql from"
[ ! -e "$dir/$ext--$version.sql" ] ||
    fail "$dir/$ext--$version.sql is frozen, but $version is the version generated from src/$ext.sql (raise default_version, or remove the frozen copy)"

versions=() edges=()
for f in "$dir/$ext"--*.sql; do
    [ -e "$f" ] || continue
    name=${f##*/}; name=${name#"$ext"--}; name=${name%.sql}
    case $name in
        *--*--*) fail "$f: not $ext--FROM--TO.sql" ;;
        *--*)    edges+=("$name"); versions+=("${name%%--*}" "${name##*--}") ;;
        *)       versions+=("$name") ;;
    esac
done

# versions that reach $version, grown backwards along the upgrade scripts
reach=" $version "
grown=1
while [ $grown = 1 ]; do
    grown=0
    for e in "${edges[@]}"; do
        from=${e%%--*} to=${e##*--}
        if [[ $reach == *" $to "* && $reach != *" $from "* ]]; then
            reach+="$from "; grown=1
        fi
    done
done
for v in "${versions[@]}"; do
    [[ $reach == *" $v "* ]] ||
        fail "no upgrade path from $v to $version: add $dir/$ext--$v--<next>.sql up to $version"
done

if [ -f CHANGELOG.md ] && ! grep -q "^## $version\b" CHANGELOG.md; then
    fail "CHANGELOG.md has no '## $version' section"
fi

if [ -f META.json ]; then
    # every "version" but the meta-spec's (its own block)
    meta=$(sed '/"meta-spec"/,/}/d' META.json | grep -o '"version" *: *"[^"]*"' |
           sed 's/.*"\([^"]*\)"$/\1/' | sort -u)
    [ "$meta" = "$version" ] ||
        fail "META.json has version(s) $(echo $meta) but $ext.control has $version"
fi
