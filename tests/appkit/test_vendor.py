"""The vendored front-end assets are present, pinned, untampered and CDN-free."""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

SCRIPT = Path(__file__).parents[2] / "scripts" / "vendor.py"
FORBIDDEN = re.compile(r"unpkg\.com|jsdelivr|cdnjs|googleapis", re.IGNORECASE)


def _load_script() -> ModuleType:
    name = "appkit_scripts_vendor"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, SCRIPT)
    assert spec is not None and spec.loader is not None, SCRIPT
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses need the module registered
    spec.loader.exec_module(module)
    return module


vendor = _load_script()
VENDOR_DIR: Path = vendor.VENDOR_DIR


def _manifest() -> list[dict[str, Any]]:
    data = json.loads((VENDOR_DIR / "VERSIONS.json").read_text(encoding="utf-8"))
    assert isinstance(data, list), "VERSIONS.json must hold a list"
    return data


def _vendored_files() -> list[Path]:
    return [VENDOR_DIR / rel for entry in _manifest() for rel in entry["files"]]


def test_vendor_dir_is_inside_appkit_static() -> None:
    assert VENDOR_DIR == Path(__file__).parents[2] / "appkit" / "static" / "vendor"


def test_manifest_files_exist_and_hashes_match() -> None:
    files = _vendored_files()
    assert files, "VERSIONS.json lists no files"
    for path in files:
        assert path.is_file(), f"{path} listed in VERSIONS.json but missing"
    assert vendor.check(VENDOR_DIR) == []


def test_manifest_matches_pins() -> None:
    by_pkg = {entry["package"]: entry for entry in _manifest()}
    assert set(by_pkg) == set(vendor.PINS)
    for package, pin in vendor.PINS.items():
        entry = by_pkg[package]
        assert entry["version"] == pin["version"], package
        assert entry["license"], f"{package} has no licence recorded"
        expected = set(pin["files"].values()) | {vendor.license_dest(package)}
        assert set(entry["files"]) == expected, package


def test_expected_assets_are_vendored() -> None:
    for rel in ("htmx.min.js", "ext/ws.js", "ext/sse.js", "pico.min.css"):
        assert (VENDOR_DIR / rel).is_file(), rel
        assert (VENDOR_DIR / rel).stat().st_size > 1000, rel


def test_htmx_is_2_0_x() -> None:
    htmx = next(e for e in _manifest() if e["package"] == "htmx.org")
    assert htmx["version"].startswith("2.0."), htmx["version"]
    # The file itself must be the version the manifest claims.
    source = (VENDOR_DIR / "htmx.min.js").read_text(encoding="utf-8")
    assert f'version:"{htmx["version"]}"' in source


def test_no_cdn_references_in_vendored_files() -> None:
    paths = [p for p in VENDOR_DIR.rglob("*") if p.is_file()]
    assert paths
    for path in paths:
        text = path.read_text(encoding="utf-8", errors="replace")
        match = FORBIDDEN.search(text)
        assert match is None, f"{path} mentions {match.group(0)!r}"


def test_check_reports_tampered_and_missing_files(tmp_path: Path) -> None:
    copy = tmp_path / "vendor"
    shutil.copytree(VENDOR_DIR, copy)
    assert vendor.check(copy) == []

    with (copy / "ext" / "ws.js").open("a", encoding="utf-8") as fh:
        fh.write("\n// tampered\n")
    (copy / "pico.min.css").unlink()

    problems = vendor.check(copy)
    assert len(problems) == 2, problems
    assert any("ws.js" in p and "sha256" in p for p in problems), problems
    assert any("pico.min.css" in p and "missing" in p for p in problems), problems


def test_check_reports_missing_manifest(tmp_path: Path) -> None:
    problems = vendor.check(tmp_path)
    assert problems and "VERSIONS.json" in problems[0]


def test_check_cli_exit_codes(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert vendor.main(["--check"]) == 0
    monkeypatch.setattr(vendor, "VENDOR_DIR", tmp_path)
    assert vendor.main(["--check"]) == 1
    assert "VERSIONS.json" in capsys.readouterr().err


def test_sanitize_strips_cdn_comments_and_refuses_fetches() -> None:
    cleaned, notes = vendor.sanitize(
        "x.js", b"/*! lib | https://cdn.jsdelivr.net/npm/lib */\nvar a = 1;\n"
    )
    assert not FORBIDDEN.search(cleaned.decode())
    assert b"var a = 1;" in cleaned
    assert notes
    for name, data in [
        ("x.js", b'var u = "https://unpkg.com/x";'),
        ("x.css", b'@import url("https://fonts.googleapis.com/css");'),
        ("x.css", b"a{background:url(https://example.com/a.png)}"),
        ("x.js", b'fetch("https://example.com/x")'),
    ]:
        with pytest.raises(vendor.VendorError):
            vendor.sanitize(name, data)
    # Namespace identifiers in inline SVG are fine.
    css = b"a{background:url(\"data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg'\")}"
    assert vendor.sanitize("x.css", css) == (css, [])


def _icon(body: str, view_box: str = "0 0 24 24") -> str:
    return ("<!-- @license lucide-static - ISC -->\n<svg\n  xmlns=\"http://www.w3.org/2000/svg\"\n"
            f'  viewBox="{view_box}"\n  fill="none"\n  stroke="currentColor"\n>\n{body}\n</svg>\n')


def test_lucide_icons_become_one_file_with_aliases(tmp_path: Path) -> None:
    root = tmp_path / "package"
    (root / "icons").mkdir(parents=True)
    (root / "icon-nodes.json").write_text('{"trash": [], "dot": []}')
    (root / "icons" / "trash.svg").write_text(_icon('  <path d="M3 6h18" />'))
    (root / "icons" / "trash-2.svg").write_text(_icon('  <path d="M3 6h18" />'))
    (root / "icons" / "dot.svg").write_text(_icon('  <circle cx="12" cy="12" r="1" />'))
    data = vendor.lucide_icons(root, "icons")
    assert data.decode().splitlines()[1] == '"dot":[["circle",{"cx":"12","cy":"12","r":"1"}]],'
    assert json.loads(data) == {
        "icons": {"dot": [["circle", {"cx": "12", "cy": "12", "r": "1"}]],
                  "trash": [["path", {"d": "M3 6h18"}]]},
        "aliases": {"trash-2": "trash"}}
    (root / "icons" / "big.svg").write_text(_icon("<path d='M1 1'/>", view_box="0 0 48 48"))
    with pytest.raises(vendor.VendorError, match="big.svg: not a 24x24 stroked icon"):
        vendor.lucide_icons(root, "icons")


def test_the_vendored_icons_are_lucides() -> None:
    data = json.loads((VENDOR_DIR / "lucide-icons.json").read_text(encoding="utf-8"))
    assert len(data["icons"]) > 2000 and data["aliases"]["trash-2"] == "trash"
    assert all(target in data["icons"] for target in data["aliases"].values())
