"""The one file's payload: how `appkit build` zips the app's folder and how the launcher
(packaging/launcher.py) unpacks it. No PyInstaller run: fast."""

from __future__ import annotations

import importlib.util
import os
import sys
import zipfile
from pathlib import Path
from types import ModuleType

from appkit.build.onefile import zip_folder

REPO = Path(__file__).resolve().parents[2]


def launcher() -> ModuleType:
    spec = importlib.util.spec_from_file_location("appkit_launcher",
                                                  REPO / "packaging" / "launcher.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_compressible_files_are_lzma_and_the_rest_stored_and_all_unpack(
        tmp_path: Path) -> None:
    folder = tmp_path / "app"
    (folder / "_internal" / "share").mkdir(parents=True)
    text = b"".join(b"line %d of a library's symbol table\n" % i for i in range(20000))
    noise = os.urandom(300_000)  # like a PNG or the program with its compressed modules
    (folder / "_internal" / "libthing.so").write_bytes(text)
    (folder / "app").write_bytes(noise)
    (folder / "app").chmod(0o755)
    (folder / "_internal" / "share" / "empty").write_bytes(b"")
    (folder / "_internal" / "link.so").symlink_to("libthing.so")
    payload = tmp_path / "payload.zip"
    zip_folder(folder, payload)

    with zipfile.ZipFile(payload) as archive:
        methods = {item.filename: item.compress_type for item in archive.infolist()}
    assert methods["_internal/libthing.so"] == zipfile.ZIP_LZMA
    assert methods["app"] == zipfile.ZIP_STORED
    assert payload.stat().st_size < len(noise) + len(text) // 10

    target = tmp_path / "cache" / "k"
    target.parent.mkdir()
    launcher().unpack(str(payload), 0, payload.stat().st_size, str(target))
    assert (target / "_internal" / "libthing.so").read_bytes() == text
    assert (target / "app").read_bytes() == noise
    assert os.access(target / "app", os.X_OK)
    assert os.readlink(target / "_internal" / "link.so") == "libthing.so"
    assert (target / "_internal" / "share" / "empty").read_bytes() == b""
    assert launcher().is_complete(str(target))


def test_a_damaged_payload_is_an_os_error_and_leaves_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "app"
    folder.mkdir()
    (folder / "app").write_bytes(b"x" * 100_000)
    payload = tmp_path / "payload.zip"
    zip_folder(folder, payload)
    data = bytearray(payload.read_bytes())
    data[len(data) // 3] ^= 0xFF  # inside the compressed data
    payload.write_bytes(bytes(data))
    target = tmp_path / "cache" / "k"
    target.parent.mkdir()
    try:
        launcher().unpack(str(payload), 0, len(data), str(target))
    except (OSError, ValueError):
        pass
    else:
        raise AssertionError("a damaged payload was unpacked")
    assert list(target.parent.iterdir()) == []
