"""META.json against the PGXN Meta Spec 1.0.0 (https://pgxn.org/spec/):
required keys, known keys only (or x_ custom ones), and each value's form.
No validator is packaged for Debian, so the spec's rules are written out
here. Run by run-tests.sh; prints TAP lines, exits non-zero on a violation."""

import json
import re
import sys

SEMVER = r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?"
RANGE = rf"(([=!]=|[<>]=?)\s*)?({SEMVER}|0)"
LICENSES = {"agpl_3", "apache_1_1", "apache_2_0", "artistic_1", "artistic_2", "bsd", "freebsd",
            "gfdl_1_2", "gfdl_1_3", "gpl_1", "gpl_2", "gpl_3", "lgpl_2_1", "lgpl_3_0", "mit",
            "mozilla_1_0", "mozilla_1_1", "openssl", "perl_5", "postgresql", "qpl_1_0", "ssleay",
            "sun", "zlib", "open_source", "restricted", "unrestricted", "unknown"}
KEYS = {"name", "version", "abstract", "maintainer", "license", "provides", "meta-spec",
        "description", "generated_by", "tags", "no_index", "prereqs", "release_status", "resources"}
REQUIRED = {"name", "version", "abstract", "maintainer", "license", "provides", "meta-spec"}
errors = []


def err(path, message):
    errors.append(f"{path}: {message}")


def custom(key):
    """x_ and X_ keys are allowed anywhere."""
    return re.match(r"^[xX]_.", key) is not None


def term(path, v):
    if not (isinstance(v, str) and re.fullmatch(r"[^/\\\s\x00-\x1f\x7f]{2,}", v)):
        err(path, f"{v!r} is not a term (2+ characters, no slash, backslash, space)")


def semver(path, v):
    if not (isinstance(v, str) and re.fullmatch(SEMVER, v)):
        err(path, f"{v!r} is not a semantic version")


def text(path, v):
    if not (isinstance(v, str) and v):
        err(path, "must be a non-empty string")


def keys_of(path, obj, allowed, required=()):
    """An object with only allowed (or custom) keys and every required one."""
    if not isinstance(obj, dict):
        err(path, "must be an object")
        return False
    for k in obj:
        if k not in allowed and not custom(k):
            err(path, f"unknown key {k!r}")
    for k in required:
        if k not in obj:
            err(path, f"missing required key {k!r}")
    return True


def main(file):
    with open(file) as f:
        meta = json.load(f)
    if not keys_of("META", meta, KEYS, REQUIRED):
        return
    term("name", meta.get("name"))
    semver("version", meta.get("version"))
    text("abstract", meta.get("abstract"))
    m = meta.get("maintainer")
    if not (isinstance(m, str) and m or isinstance(m, list) and m and all(isinstance(x, str) and x for x in m)):
        err("maintainer", "must be a string or a non-empty list of strings")
    lic = meta.get("license")
    if isinstance(lic, str) or isinstance(lic, list):
        for x in [lic] if isinstance(lic, str) else lic or [None]:
            if x not in LICENSES:
                err("license", f"{x!r} is not one of the spec's license strings")
    elif not (isinstance(lic, dict) and lic and all(isinstance(u, str) and re.match(r"https?://", u) for u in lic.values())):
        err("license", "must be a license string, a list of them, or an object of name: URL")
    provides = meta.get("provides")
    if not (isinstance(provides, dict) and provides):
        err("provides", "must be an object listing at least one extension")
    else:
        for name, ext in provides.items():
            term(f"provides.{name}", name)
            if keys_of(f"provides.{name}", ext, {"file", "version", "abstract", "docfile"}, ("file", "version")):
                semver(f"provides.{name}.version", ext.get("version"))
                for k in ("file", "docfile"):
                    if k in ext and not (isinstance(ext[k], str) and ext[k] and not ext[k].startswith("/")):
                        err(f"provides.{name}.{k}", "must be a relative path")
                if "abstract" in ext:
                    text(f"provides.{name}.abstract", ext["abstract"])
    spec = meta.get("meta-spec")
    if keys_of("meta-spec", spec, {"version", "url"}, ("version",)):
        if spec.get("version") != "1.0.0":
            err("meta-spec.version", "must be 1.0.0")
    for k in ("description", "generated_by"):
        if k in meta:
            text(k, meta[k])
    if "release_status" in meta and meta["release_status"] not in ("stable", "testing", "unstable"):
        err("release_status", "must be stable, testing or unstable")
    if "tags" in meta:
        tags = meta["tags"]
        if not (isinstance(tags, list) and tags and all(
                isinstance(t, str) and re.fullmatch(r"[^/\\\x00-\x1f\x7f]{2,255}", t) for t in tags)):
            err("tags", "must be a non-empty list of 2-255 character strings without slashes")
    if "prereqs" in meta and keys_of("prereqs", meta["prereqs"],
                                     {"configure", "build", "test", "runtime", "develop"}):
        for phase, rels in meta["prereqs"].items():
            if custom(phase) or not keys_of(f"prereqs.{phase}", rels,
                                            {"requires", "recommends", "suggests", "conflicts"}):
                continue
            for rel, deps in rels.items():
                if custom(rel) or not keys_of(f"prereqs.{phase}.{rel}", deps, set(deps or ())):
                    continue
                for dep, rng in deps.items():
                    term(f"prereqs.{phase}.{rel}", dep)
                    if not (rng == 0 or isinstance(rng, str) and
                            re.fullmatch(rf"{RANGE}(,\s*{RANGE})*", rng)):
                        err(f"prereqs.{phase}.{rel}.{dep}", f"{rng!r} is not a version range")
    if "resources" in meta:
        keys_of("resources", meta["resources"], {"homepage", "bugtracker", "repository"})
    if "no_index" in meta:
        keys_of("no_index", meta["no_index"], {"file", "directory"})


main(sys.argv[1] if len(sys.argv) > 1 else "META.json")
for e in errors:
    print(f"not ok - META.json {e}")
if not errors:
    print("ok - META.json follows the PGXN Meta Spec 1.0.0")
sys.exit(1 if errors else 0)
