"""The installable zoo: every registered preset packed as a companion wheel, `rs3l-keras-zoo`.

The code wheel (`rs3l-keras`) holds no weights; `rs3l-keras-zoo` holds the files of every
preset registered in `rs3l_keras.zoo.presets.PRESETS` when it is built, as package data of a
tiny package `rs3l_keras_zoo` (`rs3l_keras_zoo/presets/<name>/…`). Once both wheels are
installed, `load_pretrained(name)` finds a preset there (after `$RS3L_ZOO_DIR` and a source
checkout's `zoo/`) and verifies it as always: every file against `metadata.json`, and
`metadata.json` against the registry pin in the *code* wheel. A zoo wheel from another
release therefore fails loudly (sha256 mismatch), never loads silently.

The wheel is written directly (a zip with `*.dist-info/{METADATA,WHEEL,RECORD}`), so it
needs no build backend and no network, and it is reproducible: fixed timestamps and file
order, so the same presets give the same bytes. Build it with `make dist` or

    python -m rs3l_keras.zoo.wheel dist/
"""

import argparse
import base64
import hashlib
import io
import os
import pathlib
import tempfile
import zipfile

from rs3l_keras.version import __version__
from rs3l_keras.zoo import hub
from rs3l_keras.zoo.presets import PRESETS

DISTRIBUTION = "rs3l-keras-zoo"
PACKAGE = "rs3l_keras_zoo"
_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip can hold: reproducible archives

_INIT = '''"""Preset files of rs3l-keras {version} (data only; load them with `rs3l_keras.load_pretrained`)."""

import pathlib

__version__ = "{version}"
PRESETS_DIR = pathlib.Path(__file__).resolve().parent / "presets"
# name → sha256 of the preset's metadata.json when this wheel was built
PINS = {pins!r}
'''


def _record_hash(data):
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def zoo_files(names=None):
    """`{name: directory}` of the registered presets to pack, each verified against its pin.

    Raises:
        UnknownPresetError: a name is not registered, or a registered preset's files are not
            in any zoo directory.
        PresetIntegrityError: a preset's files do not match its registry pin.
    """
    names = sorted(PRESETS) if names is None else list(names)
    found = {}
    for name in names:
        if name not in PRESETS:
            raise hub.UnknownPresetError(f"`names` holds {name!r}, which is not a registered preset.")
        directory, pinned = hub.resolve_preset(name)
        if pinned is None:
            raise hub.UnknownPresetError(f"Registered preset {name!r} resolved to {directory} without a pin.")
        hub.verify_preset(directory, pinned)
        found[name] = directory
    return found


def build_zoo_wheel(dist_dir, names=None, version=__version__):
    """Writes `rs3l_keras_zoo-<version>-py3-none-any.whl` into `dist_dir` (atomically).

    Args:
        dist_dir: str or path. Created if missing.
        names: registered preset names to pack (default: every registered preset).
        version: str, default the library's version (the two wheels are released together).

    Returns:
        `pathlib.Path` of the wheel.
    """
    if not isinstance(version, str) or not version:
        raise ValueError(f"`version` must be a non-empty str such as '0.1.0', received {version!r}.")
    presets = zoo_files(names)
    dist_dir = pathlib.Path(dist_dir).expanduser()
    dist_dir.mkdir(parents=True, exist_ok=True)
    info = f"{PACKAGE}-{version}.dist-info"
    entries = {}  # archive path → bytes, in the order written
    pins = {name: hub.sha256_file(directory / hub.METADATA_FILE) for name, directory in presets.items()}
    entries[f"{PACKAGE}/__init__.py"] = _INIT.format(version=version, pins=pins).encode()
    for name, directory in presets.items():
        listed = hub.verify_preset(directory)["files"]
        for file in sorted([*listed, hub.METADATA_FILE]):
            entries[f"{PACKAGE}/presets/{PRESETS[name]['path']}/{file}"] = (directory / file).read_bytes()
    summary = f"Pretrained presets of rs3l-keras {version}: {', '.join(presets) or 'none'}."
    entries[f"{info}/METADATA"] = (
        "Metadata-Version: 2.1\n"
        f"Name: {DISTRIBUTION}\n"
        f"Version: {version}\n"
        f"Summary: {summary}\n"
        "License: Apache-2.0\n"
        "Requires-Python: >=3.10\n"
        f"Requires-Dist: rs3l-keras=={version}\n"
    ).encode()
    entries[f"{info}/WHEEL"] = (
        b"Wheel-Version: 1.0\nGenerator: rs3l_keras.zoo.wheel\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    )
    entries[f"{info}/top_level.txt"] = f"{PACKAGE}\n".encode()
    record = [f"{path},{_record_hash(data)},{len(data)}" for path, data in entries.items()]
    entries[f"{info}/RECORD"] = ("\n".join([*record, f"{info}/RECORD,,"]) + "\n").encode()

    target = dist_dir / f"{PACKAGE}-{version}-py3-none-any.whl"
    fd, staging = tempfile.mkstemp(dir=dist_dir, prefix=f".{target.name}.")
    try:
        with os.fdopen(fd, "wb") as raw, zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
            for path, data in entries.items():
                entry = zipfile.ZipInfo(path, date_time=_EPOCH)
                entry.external_attr = 0o644 << 16
                entry.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(entry, data)
        os.chmod(staging, 0o644)  # mkstemp makes it private; a wheel is for everyone
        os.replace(staging, target)
    except BaseException:
        if os.path.exists(staging):
            os.remove(staging)
        raise
    return target


def check_wheel(path):
    """Re-reads a built wheel and checks every RECORD line (hash and size); returns the
    preset names it holds."""
    with zipfile.ZipFile(path) as archive:
        record = next(n for n in archive.namelist() if n.endswith(".dist-info/RECORD"))
        names = set()
        for line in io.TextIOWrapper(archive.open(record), encoding="utf-8"):
            member, digest, size = line.rstrip("\n").rsplit(",", 2)
            if member == record:
                continue
            data = archive.read(member)
            if _record_hash(data) != digest or len(data) != int(size):
                raise hub.PresetIntegrityError(f"{path}: {member} does not match its RECORD entry.")
            parts = member.split("/")
            if len(parts) == 4 and parts[1] == "presets" and parts[3] == hub.METADATA_FILE:
                names.add(parts[2])
    return sorted(names)


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m rs3l_keras.zoo.wheel", description="Pack every registered preset as the rs3l-keras-zoo wheel."
    )
    parser.add_argument("dist_dir", help="folder for the wheel (e.g. dist/)")
    parser.add_argument("--preset", action="append", help="pack only this preset (repeatable)")
    args = parser.parse_args(argv)
    path = build_zoo_wheel(args.dist_dir, names=args.preset)
    size = path.stat().st_size
    names = check_wheel(path)
    parser.exit(0, f"{path} ({size / 1e6:.1f} MB): {len(names)} presets: {', '.join(names)}\n")


if __name__ == "__main__":
    main()
