"""A minimal PEP 517 build backend (standard library only).

It builds the pure-Python package matrx_relations into a wheel (and an
sdist) so that `pip install ./clients/python` works offline, without
setuptools or wheel being installed or downloaded. Metadata comes from
pyproject.toml's [project] table.
"""

import base64
import hashlib
import io
import os
import tarfile
import zipfile

try:
    import tomllib
except ImportError:  # Python < 3.11: a tiny reader for this file's subset
    tomllib = None

HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGE = "matrx_relations"


def _project():
    """The [project] table of pyproject.toml."""
    with open(os.path.join(HERE, "pyproject.toml"), "rb") as f:
        data = f.read()
    if tomllib is not None:
        return tomllib.loads(data.decode())["project"]
    return _mini_toml(data.decode())["project"]


def _mini_toml(text):
    """Tables, strings, string lists and inline {text = ...} tables: enough for pyproject.toml."""
    import ast
    out, table = {}, None
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            table = out
            for part in line.strip("[]").split("."):
                table = table.setdefault(part.strip(), {})
            continue
        key, _, value = line.partition("=")
        value = value.strip()
        if value.startswith("{"):
            inner = value.strip("{}").split("=", 1)
            parsed = {inner[0].strip(): ast.literal_eval(inner[1].strip())}
        else:
            parsed = ast.literal_eval(value.replace("true", "True").replace("false", "False"))
        table[key.strip()] = parsed
    return out


def _metadata():
    """METADATA (core metadata 2.1) text."""
    p = _project()
    lines = ["Metadata-Version: 2.1", f"Name: {p['name']}", f"Version: {p['version']}",
             f"Summary: {p['description']}", f"Requires-Python: {p['requires-python']}",
             f"License: {p['license']['text']}"]
    lines += [f"Requires-Dist: {d}" for d in p.get("dependencies", [])]
    for extra, deps in p.get("optional-dependencies", {}).items():
        lines.append(f"Provides-Extra: {extra}")
        lines += [f'Requires-Dist: {d}; extra == "{extra}"' for d in deps]
    readme = os.path.join(HERE, p.get("readme", "README.md"))
    body = open(readme, encoding="utf-8").read() if os.path.exists(readme) else ""
    return "\n".join(lines) + "\nDescription-Content-Type: text/markdown\n\n" + body


def _names():
    """(distribution name for file names, version)."""
    p = _project()
    return p["name"].replace("-", "_"), p["version"]


def _package_files():
    """(archive name, path) of every file of the package."""
    root = os.path.join(HERE, PACKAGE)
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d != "__pycache__"]
        for name in sorted(filenames):
            if name.endswith((".py", ".typed")):
                path = os.path.join(dirpath, name)
                yield os.path.relpath(path, HERE).replace(os.sep, "/"), path


def get_requires_for_build_wheel(config_settings=None):
    """Nothing beyond the standard library."""
    return []


get_requires_for_build_sdist = get_requires_for_build_wheel
get_requires_for_build_editable = get_requires_for_build_wheel


def _dist_info(dist, version):
    """The .dist-info files (but RECORD) as {archive name: bytes}."""
    di = f"{dist}-{version}.dist-info"
    return {f"{di}/METADATA": _metadata().encode(),
            f"{di}/WHEEL": b"Wheel-Version: 1.0\nGenerator: matrx-build-backend\nRoot-Is-Purelib: true\nTag: py3-none-any\n"}


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    """Writes the .dist-info directory pip reads before building."""
    dist, version = _names()
    for name, data in _dist_info(dist, version).items():
        path = os.path.join(metadata_directory, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
    return f"{dist}-{version}.dist-info"


def _wheel(wheel_directory, files):
    """Writes a wheel of {archive name: bytes} plus RECORD; returns its file name."""
    dist, version = _names()
    files.update(_dist_info(dist, version))
    record_name = f"{dist}-{version}.dist-info/RECORD"
    record = []
    for name, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{name},sha256={digest},{len(data)}")
    record.append(f"{record_name},,")
    files[record_name] = ("\n".join(record) + "\n").encode()
    filename = f"{dist}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(os.path.join(wheel_directory, filename), "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            z.writestr(zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0)), data)
    return filename


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    """A pure-Python wheel of the package."""
    files = {}
    for name, path in _package_files():
        with open(path, "rb") as f:
            files[name] = f.read()
    return _wheel(wheel_directory, files)


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    """A wheel holding a .pth file that points at this directory."""
    return _wheel(wheel_directory, {f"{PACKAGE}_editable.pth": (HERE + "\n").encode()})


prepare_metadata_for_build_editable = prepare_metadata_for_build_wheel


def build_sdist(sdist_directory, config_settings=None):
    """The package, pyproject.toml, this backend and README as a .tar.gz."""
    dist, version = _names()
    base = f"{dist}-{version}"
    filename = f"{base}.tar.gz"
    with tarfile.open(os.path.join(sdist_directory, filename), "w:gz") as tar:
        for name in ("pyproject.toml", "build_backend.py", "README.md"):
            if os.path.exists(os.path.join(HERE, name)):
                tar.add(os.path.join(HERE, name), f"{base}/{name}")
        for name, path in _package_files():
            tar.add(path, f"{base}/{name}")
        info = tarfile.TarInfo(f"{base}/PKG-INFO")
        data = _metadata().encode()
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return filename
