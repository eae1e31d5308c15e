"""The one-file executable's layout: the app's one-folder build zipped behind a small
launcher (see packaging/launcher.py, which reads it back), and the launcher's own build."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import string
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from appkit.build.errors import BuildError

__all__ = ["LAUNCHER_EXCLUDES", "assemble", "build_launcher", "zip_folder"]

_TRAILER_MAGIC = b"APPKIT1\n"
_PYI_MAGIC = b"MEI\014\013\012\013\016"

#: What the one-file launcher leaves out: it reads a zip (LZMA and stored entries), takes
#: locks and starts a program, so it needs the standard library's smallest part, and its
#: bootloader unpacks less on every start. ``inspect`` out also drops PyInstaller's runtime
#: hook that imports it at start-up. On Windows _ctypes stays (the launcher checks a pid).
LAUNCHER_EXCLUDES = [
    "_decimal", "decimal", "_pickle", "pickle", "_ssl", "ssl", "_hashlib", "hashlib", "_bz2",
    "bz2", "unittest", "email", "http", "xml", "pydoc", "asyncio", "tarfile", "argparse",
    "logging", "_socket", "socket", "_asyncio", "multiprocessing", "concurrent", "csv",
    "_csv", "sqlite3", "_sqlite3", "unicodedata", "_multibytecodec", "_codecs_cn",
    "_codecs_hk", "_codecs_iso2022", "_codecs_jp", "_codecs_kr", "_codecs_tw", "_datetime",
    "datetime", "_statistics", "statistics", "resource", "inspect",
    *(["ctypes", "_ctypes"] if os.name != "nt" else []),
]


def assemble(launcher: Path, payload: Path, info: dict[str, Any], target: Path,
              icon: Path | None, work: Path) -> None:
    """[launcher's bootloader][payload][trailer][launcher's archive] (see launcher.py)."""
    import struct

    data = launcher.read_bytes()
    at = data.rfind(_PYI_MAGIC)
    if at < 0:
        raise BuildError(f"The launcher {launcher} is not a PyInstaller one-file program; "
                         "delete it and build again.")
    pkg_len = struct.unpack_from("!8sIIii64s", data, at)[1]
    archive_start = at + 88 - pkg_len
    head = data[:archive_start]
    if icon is not None and os.name == "nt":  # pragma: no cover - Windows
        head = _with_windows_icon(head, icon, work)
    blob = json.dumps(info).encode("utf-8")
    with target.open("wb") as out, payload.open("rb") as src:
        out.write(head)
        offset = out.tell()
        shutil.copyfileobj(src, out, 1 << 20)
        length = out.tell() - offset
        out.write(blob)
        out.write(struct.pack("<QQQ8s", len(blob), offset, length, _TRAILER_MAGIC))
        out.write(data[archive_start:])
    target.chmod(0o755)


def zip_folder(folder: Path, payload: Path) -> None:
    """Zip ``folder`` into ``payload`` (symbolic links kept as links).

    Each file is compressed with LZMA (a third smaller than deflate on the shared libraries
    that are most of a build; unpacked once per version), except a file that deflate at its
    fastest cannot shrink by a tenth (images, archives, the program with its compressed
    Python modules), which is stored: LZMA would gain nothing and cost unpacking time.
    """
    with zipfile.ZipFile(payload, "w", zipfile.ZIP_LZMA) as archive:
        for path in sorted(folder.rglob("*")):
            name = path.relative_to(folder).as_posix()
            if path.is_symlink():
                item = zipfile.ZipInfo(name)
                item.external_attr = (stat.S_IFLNK | 0o777) << 16
                archive.writestr(item, os.readlink(path))
            elif path.is_dir():
                continue
            else:
                method = zipfile.ZIP_LZMA if _compressible(path) else zipfile.ZIP_STORED
                archive.write(path, name, compress_type=method)


def _compressible(path: Path, probe: int = 1 << 18) -> bool:
    """Whether deflate at level 1 shrinks a sample of the file by at least a tenth."""
    import zlib

    with path.open("rb") as handle:
        head = handle.read(probe)
        size = handle.seek(0, os.SEEK_END)
        if size > 2 * probe:  # the middle too: a program's start is not its archive
            handle.seek(size // 2)
            head += handle.read(probe)
    return not head or len(zlib.compress(head, 1)) < 0.9 * len(head)


def _with_windows_icon(head: bytes, icon: Path, work: Path) -> bytes:  # pragma: no cover
    """The launcher's bootloader with the app's icon in its resources. Windows rewrites a
    program when its resources change and drops what follows the image, so this is done on
    the bootloader alone, before the payload and the archive are appended."""
    from PyInstaller.building.icon import normalize_icon_type
    from PyInstaller.utils.win32 import icon as win_icon

    bootloader = work / "launcher-with-icon.exe"
    bootloader.write_bytes(head)
    ico = normalize_icon_type(str(icon), ("exe", "ico"), "ico", str(work))
    win_icon.CopyIcons(str(bootloader), ico)
    return bootloader.read_bytes()


def build_launcher(work: Path, say: Callable[[str], None], packaging: Path,
                   run: Callable[[list[str], Path, Callable[[str], None]], None]) -> Path:
    """The launcher program for this Python and platform, built once (``run`` runs
    PyInstaller) and kept in appkit's own cache folder."""
    import PyInstaller

    from shell.paths import AppDirs

    source = packaging / "launcher.py"
    template = packaging / "launcher.spec.in"
    config = {
        "source": str(source),
        "excludes": LAUNCHER_EXCLUDES,
        "console": os.name != "nt",
        "strip": sys.platform == "linux" and shutil.which("strip") is not None,
        "store_binaries": True,
    }
    key = hashlib.sha256(b"\0".join([
        source.read_bytes(), template.read_bytes(), sys.version.encode(),
        PyInstaller.__version__.encode(), sys.platform.encode(), sys.base_prefix.encode(),
        json.dumps(config, sort_keys=True).encode(),
    ])).hexdigest()[:24]
    cache = AppDirs("appkit").cache / "launchers" / key
    program = cache / ("launcher.exe" if os.name == "nt" else "launcher")
    if program.is_file():
        return program
    say("      building the launcher (once for this Python)")
    build = work / "launcher"
    build.mkdir()
    spec = build / "launcher.spec"
    spec.write_text(string.Template(template.read_text("utf-8")).substitute(
        config=json.dumps(config, indent=1)), "utf-8")
    run([str(spec), "--noconfirm", "--distpath", str(build / "dist"),
         "--workpath", str(build / "work")], build / "pyinstaller.log", lambda line: None)
    cache.mkdir(parents=True, exist_ok=True)
    tmp = cache / f".{program.name}.{os.getpid()}"
    shutil.copy2(build / "dist" / program.name, tmp)
    os.replace(tmp, program)
    return program
