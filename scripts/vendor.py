#!/usr/bin/env python3
"""Vendor appkit's front-end assets from the npm registry so apps work fully offline.

appkit never loads anything from a CDN: every script and stylesheet the browser
needs is shipped inside the wheel under ``appkit/static/vendor/``.  This script
refreshes those files from exact, pinned npm package versions (see ``PINS``).

Refresh (needs ``npm`` and access to the npm registry; nothing else)::

    python scripts/vendor.py            # or: make vendor

Verify what is on disk against ``VERSIONS.json`` (no network, no npm)::

    python scripts/vendor.py --check

What a refresh does, for every pinned package:

1. ``npm pack NAME@VERSION --pack-destination TMPDIR`` downloads the tarball
   (npm verifies its registry integrity hash).
2. The tarball is extracted with :mod:`tarfile`, refusing absolute paths,
   ``..`` components, links and device files.
3. ``package.json`` must name the pinned package and version exactly.
4. The selected files are sanitised (see below) and copied into
   ``appkit/static/vendor/``; the package's licence file goes to
   ``appkit/static/vendor/licenses/<name, '/' replaced by '__'>.LICENSE``.
5. ``VERSIONS.json`` records package, version, SPDX licence and the sha256 of
   every file *as written* (paths relative to the directory of VERSIONS.json).

Files listed in the previous ``VERSIONS.json`` but no longer produced are
deleted, and files are only rewritten when their bytes change, so running the
script twice in a row changes nothing (idempotent).

Sanitising (what gets stripped, and what makes the script refuse):

* The repository has a check that fails if ``unpkg.com``, ``jsdelivr``,
  ``cdnjs`` or ``googleapis`` appears anywhere under ``appkit/``.  In ``.js``
  and ``.css`` files, any ``/* ... */`` block comment (including ``/*! ... */``
  banners) or whole-line ``// ...`` comment containing one of those strings is
  replaced by ``/* [comment referencing a CDN removed by scripts/vendor.py] */``.
  Such comments are only "get it from a CDN" hints; no code is touched.
  If one of the strings still occurs afterwards (i.e. in code, or in a licence
  file) the script stops with an error instead of guessing.
* Any ``http://``/``https://`` URL left outside a comment must be on the
  ``HARMLESS_URL_PREFIXES`` allow-list (XML namespace identifiers such as
  ``http://www.w3.org/2000/svg`` inside inline ``data:`` SVG icons, which a
  browser never fetches).  CSS ``@import`` and ``url(...)`` that are not
  ``data:`` URIs are refused.  Anything else stops the script: a vendored asset
  must never make the browser reach the network.

For the pins as of this writing nothing needed stripping: the only URLs in the
vendored files are Pico's homepage in its banner comment and the SVG namespace
in its inline ``data:`` icons.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

# --------------------------------------------------------------------------- #
# Pins.  Bump a version here, run the script, review the diff, commit.
#
# "files" maps a path inside the npm tarball (relative to its "package/" root)
# to a destination path relative to VENDOR_DIR.
# "license_file" is the licence's path inside the tarball.
# "license_fallback" is (SPDX id, phrase that must occur in the licence file);
# it is only used when package.json has no "license" field (the htmx-ext-*
# packages don't), and the phrase check stops a silent licence change.
# "transform" maps a destination to a function of TRANSFORMS that makes its bytes
# from the tarball (its root and the "files" source path) instead of copying them.
#
# Why dist/ws.js and dist/sse.js: the extensions' package.json "main" is
# dist/*.esm.js, which starts with `import htmx from 'htmx.org'` and so cannot
# run from a plain <script src> without a bundler or import map.  dist/ws.js and
# dist/sse.js are the same code as classic scripts (byte-identical to the
# top-level ws.js / sse.js), using the global `htmx` that htmx.min.js defines.
# --------------------------------------------------------------------------- #
PINS: dict[str, dict[str, Any]] = {
    "htmx.org": {
        "version": "2.0.11",
        "files": {"dist/htmx.min.js": "htmx.min.js"},
        "license_file": "LICENSE",
    },
    "htmx-ext-ws": {
        "version": "2.0.4",
        "files": {"dist/ws.js": "ext/ws.js"},
        "license_file": "LICENSE",
        "license_fallback": ("0BSD", "BSD Zero Clause License"),
    },
    "htmx-ext-sse": {
        "version": "2.2.4",
        "files": {"dist/sse.js": "ext/sse.js"},
        "license_file": "LICENSE",
        "license_fallback": ("0BSD", "BSD Zero Clause License"),
    },
    # Morphing for the live layer (appkit/static/live.js): keeps focus, selection and
    # what the user is typing when the server sends new HTML for an element.
    "idiomorph": {
        "version": "0.7.3",
        "files": {"dist/idiomorph.min.js": "idiomorph.min.js"},
        "license_file": "LICENSE",
    },
    "@picocss/pico": {
        "version": "2.1.1",
        "files": {"css/pico.min.css": "pico.min.css"},
        "license_file": "LICENSE.md",
    },
    # The icons of appkit.ui's Icon("name"), rendered inline on the server: only the
    # icons a page uses are sent. The package's icons/ folder (one SVG file per name,
    # 2,500 of them with their old names) becomes one compact data file (see
    # lucide_icons below): ~0.5 MB, ~0.1 MB compressed in the wheel.
    "lucide-static": {
        "version": "1.87.0",
        "files": {"icons": "lucide-icons.json"},
        "transform": {"lucide-icons.json": "lucide_icons"},
        "license_file": "LICENSE",
    },
    # Line and bar charts (appkit/ui/charts.py, appkit/static/ui/charts.js): 51 KB (22 KB
    # gzipped), draws 100,000 points in about 15 ms (Chart.js: 50-140 ms, ECharts: 160-200).
    "uplot": {
        "version": "1.6.32",
        "files": {"dist/uPlot.iife.min.js": "uplot/uPlot.iife.min.js",
                  "dist/uPlot.min.css": "uplot/uPlot.min.css"},
        "license_file": "LICENSE",
    },
}

REPO_ROOT = Path(__file__).resolve().parents[1]
VENDOR_DIR = REPO_ROOT / "appkit" / "static" / "vendor"
MANIFEST_NAME = "VERSIONS.json"
LICENSES_SUBDIR = "licenses"

NPM_MISSING = "npm is needed to refresh vendored assets: apt-get install npm"

# Strings the repository-wide check refuses anywhere under appkit/.
FORBIDDEN_RE = re.compile(r"unpkg\.com|jsdelivr|cdnjs|googleapis", re.IGNORECASE)
STRIPPED_COMMENT = "/* [comment referencing a CDN removed by scripts/vendor.py] */"

# URL prefixes that are identifiers, not resources a browser fetches.
HARMLESS_URL_PREFIXES: tuple[str, ...] = (
    "http://www.w3.org/",  # XML namespaces (xmlns='http://www.w3.org/2000/svg')
)

_BLOCK_COMMENT_RE = re.compile(r"/\*.*?\*/", re.DOTALL)
_LINE_COMMENT_RE = re.compile(r"^[ \t]*//[^\n]*$", re.MULTILINE)
_URL_RE = re.compile(r"https?://[^\s\"'()<>]*", re.IGNORECASE)
_CSS_IMPORT_RE = re.compile(r"@import\b", re.IGNORECASE)
_CSS_URL_RE = re.compile(r"url\(\s*(['\"]?)\s*([^'\")\s]*)", re.IGNORECASE)


class VendorError(Exception):
    """A refresh or check problem that should stop the script with a message."""


@dataclass
class PackageRecord:
    """One entry of VERSIONS.json."""

    package: str
    version: str
    license: str
    files: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "package": self.package,
            "version": self.version,
            "license": self.license,
            "files": dict(sorted(self.files.items())),
        }


# --------------------------------------------------------------------------- #
# Helpers
# --------------------------------------------------------------------------- #
def sha256_bytes(data: bytes) -> str:
    """Hex sha256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def license_dest(package: str) -> str:
    """Destination (relative to the vendor dir) of a package's licence file."""
    return f"{LICENSES_SUBDIR}/{package.replace('/', '__')}.LICENSE"


def _safe_relpath(rel: str) -> PurePosixPath:
    """Validate a relative POSIX path from the pins or the manifest."""
    p = PurePosixPath(rel)
    if p.is_absolute() or not p.parts or ".." in p.parts or "\\" in rel:
        raise VendorError(f"unsafe path {rel!r}")
    return p


def write_if_changed(path: Path, data: bytes) -> bool:
    """Atomically write ``data`` to ``path`` unless it already holds exactly that."""
    if path.is_file() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return True


# --------------------------------------------------------------------------- #
# Sanitising
# --------------------------------------------------------------------------- #
def _comment_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of block comments and whole-line ``//`` comments."""
    spans = [m.span() for m in _BLOCK_COMMENT_RE.finditer(text)]
    spans += [m.span() for m in _LINE_COMMENT_RE.finditer(text)]
    return sorted(spans)


def _in_spans(pos: int, spans: list[tuple[int, int]]) -> bool:
    return any(start <= pos < end for start, end in spans)


def sanitize(name: str, data: bytes) -> tuple[bytes, list[str]]:
    """Strip CDN-referencing comments from ``data`` and refuse fetchable URLs.

    ``name`` is the destination path (used for messages and to decide whether
    the file is JS/CSS).  Returns the bytes to write and a list of
    human-readable notes about what was stripped.
    """
    text = data.decode("utf-8")
    notes: list[str] = []
    is_code = name.endswith((".js", ".css"))

    if is_code:

        def _strip(match: re.Match[str]) -> str:
            comment = match.group(0)
            if not FORBIDDEN_RE.search(comment):
                return comment
            hits = sorted({h.lower() for h in FORBIDDEN_RE.findall(comment)})
            first = comment.strip().splitlines()[0][:80]
            notes.append(f"{name}: removed comment mentioning {', '.join(hits)}: {first!r}")
            return STRIPPED_COMMENT

        text = _BLOCK_COMMENT_RE.sub(_strip, text)
        text = _LINE_COMMENT_RE.sub(_strip, text)

    leftover = FORBIDDEN_RE.search(text)
    if leftover:
        start = max(0, leftover.start() - 40)
        raise VendorError(
            f"{name}: {leftover.group(0)!r} occurs outside a comment "
            f"(...{text[start : leftover.end() + 40]!r}...); "
            "add an explicit rewrite rule to scripts/vendor.py"
        )

    if is_code:
        spans = _comment_spans(text)
        for m in _URL_RE.finditer(text):
            url = m.group(0)
            if _in_spans(m.start(), spans) or url.startswith(HARMLESS_URL_PREFIXES):
                continue
            raise VendorError(f"{name}: URL {url!r} could make the browser reach the network")
    if name.endswith(".css"):
        spans = _comment_spans(text)
        for m in _CSS_IMPORT_RE.finditer(text):
            if not _in_spans(m.start(), spans):
                raise VendorError(f"{name}: CSS @import is not allowed in vendored files")
        for m in _CSS_URL_RE.finditer(text):
            target = m.group(2)
            if _in_spans(m.start(), spans) or target.startswith("data:"):
                continue
            raise VendorError(f"{name}: CSS url({target!r}) is not an inline data: URI")

    return text.encode("utf-8"), notes


# --------------------------------------------------------------------------- #
# npm + tarball
# --------------------------------------------------------------------------- #
def npm_pack(spec: str, dest: Path) -> Path:
    """Download ``spec`` (``name@version``) as a tarball into ``dest``."""
    npm = shutil.which("npm")
    if npm is None:
        raise VendorError(NPM_MISSING)
    try:
        subprocess.run(
            [npm, "pack", spec, "--pack-destination", str(dest)],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
    except FileNotFoundError as exc:
        raise VendorError(NPM_MISSING) from exc
    except subprocess.CalledProcessError as exc:
        raise VendorError(
            f"`npm pack {spec}` failed (exit {exc.returncode}):\n{(exc.stderr or '').strip()}"
        ) from exc
    tarballs = sorted(dest.glob("*.tgz"))
    if len(tarballs) != 1:
        raise VendorError(f"`npm pack {spec}` produced {len(tarballs)} tarballs, expected 1")
    return tarballs[0]


def safe_extract(tarball: Path, dest: Path) -> Path:
    """Extract regular files and directories from ``tarball`` into ``dest``.

    Refuses absolute member names, ``..`` components, symlinks, hard links and
    device files.  Returns the package root (``dest/package`` for npm).
    """
    dest = dest.resolve()
    with tarfile.open(tarball, "r:gz") as tar:
        members = tar.getmembers()
        for m in members:
            p = PurePosixPath(m.name)
            if p.is_absolute() or ".." in p.parts or m.name.startswith(("/", "\\")):
                raise VendorError(f"{tarball.name}: unsafe member path {m.name!r}")
            if not (m.isfile() or m.isdir()):
                raise VendorError(f"{tarball.name}: refusing non-regular member {m.name!r}")
            target = (dest / m.name).resolve()
            if target != dest and dest not in target.parents:
                raise VendorError(f"{tarball.name}: member {m.name!r} escapes {dest}")
        if hasattr(tarfile, "data_filter"):
            tar.extractall(dest, members=members, filter="data")
        else:  # pragma: no cover - Python 3.11 before 3.11.4
            tar.extractall(dest, members=members)
    roots = {PurePosixPath(m.name).parts[0] for m in members if PurePosixPath(m.name).parts}
    if len(roots) != 1:
        raise VendorError(f"{tarball.name}: expected one top-level directory, got {sorted(roots)}")
    return dest / roots.pop()


def _read_member(root: Path, rel: str) -> bytes:
    path = root.joinpath(*_safe_relpath(rel).parts)
    if not path.is_file():
        raise VendorError(f"{root.name}/{rel} is not in the tarball")
    return path.read_bytes()


def _spdx(package: str, pin: dict[str, Any], meta: dict[str, Any], license_text: str) -> str:
    declared = meta.get("license")
    if isinstance(declared, str) and declared.strip():
        return declared.strip()
    fallback = pin.get("license_fallback")
    if not fallback:
        raise VendorError(f"{package}: package.json has no 'license'; add 'license_fallback'")
    spdx, phrase = fallback
    if phrase.lower() not in license_text.lower():
        raise VendorError(
            f"{package}: package.json has no 'license' and {pin['license_file']} no longer "
            f"contains {phrase!r}; re-check the licence by hand"
        )
    return str(spdx)


# --------------------------------------------------------------------------- #
# Refresh
# --------------------------------------------------------------------------- #
def vendor_package(
    package: str, pin: dict[str, Any], workdir: Path, vendor_dir: Path
) -> tuple[PackageRecord, list[str]]:
    """Fetch one pinned package and write its files.  Returns its record and notes."""
    version = pin["version"]
    pack_dir = workdir / package.replace("/", "__")
    pack_dir.mkdir(parents=True)
    tarball = npm_pack(f"{package}@{version}", pack_dir)
    root = safe_extract(tarball, pack_dir / "x")

    meta = json.loads(_read_member(root, "package.json"))
    if meta.get("name") != package or meta.get("version") != version:
        raise VendorError(
            f"tarball for {package}@{version} contains {meta.get('name')}@{meta.get('version')}"
        )

    license_bytes = _read_member(root, pin["license_file"])
    spdx = _spdx(package, pin, meta, license_bytes.decode("utf-8"))

    record = PackageRecord(package=package, version=version, license=spdx)
    notes: list[str] = []
    outputs = dict(pin["files"])
    outputs[pin["license_file"]] = license_dest(package)
    transforms = pin.get("transform", {})
    for src, dest_rel in outputs.items():
        _safe_relpath(dest_rel)
        if dest_rel in transforms:
            raw = TRANSFORMS[transforms[dest_rel]](root, src)
        else:
            raw = _read_member(root, src)
        data, file_notes = sanitize(dest_rel, raw)
        notes += file_notes
        write_if_changed(vendor_dir / dest_rel, data)
        record.files[dest_rel] = sha256_bytes(data)
    return record, notes


def lucide_icons(root: Path, folder: str) -> bytes:
    """lucide-static's ``icons/*.svg`` as one JSON object, one icon a line (so an upgrade's
    diff reads): ``{"icons": {name: [[tag, {attribute: value}], ...]}, "aliases": {old
    name: name}}``. Every icon's ``<svg>`` has the same attributes (a 24x24 viewBox,
    stroke="currentColor", stroke-width 2, round caps and joins); only its children are
    kept. Names whose drawing is another's (the old names the package keeps) are aliases
    of the name in ``icon-nodes.json``, the package's list of current names."""
    import xml.etree.ElementTree as ET

    current = set(json.loads(_read_member(root, "icon-nodes.json")))
    svg_ns = "{http://www.w3.org/2000/svg}"
    drawings: dict[str, list[Any]] = {}
    for path in sorted(root.joinpath(*_safe_relpath(folder).parts).glob("*.svg")):
        text = path.read_text(encoding="utf-8")
        svg = ET.fromstring(text[text.index("<svg"):])
        if svg.get("viewBox") != "0 0 24 24" or svg.get("stroke") != "currentColor":
            raise VendorError(f"{path.name}: not a 24x24 stroked icon; check lucide_icons")
        nodes: list[Any] = []
        for child in svg:
            if len(child) or not child.tag.startswith(svg_ns):
                raise VendorError(f"{path.name}: nested or foreign element {child.tag!r}")
            nodes.append([child.tag[len(svg_ns):], dict(child.attrib)])
        drawings[path.stem] = nodes
    if not drawings:
        raise VendorError(f"{folder}/ holds no .svg files")
    by_drawing: dict[str, str] = {}
    for name in sorted(drawings, key=lambda n: (n not in current, n)):
        by_drawing.setdefault(json.dumps(drawings[name], sort_keys=True), name)
    icons = {name: drawings[name] for name in sorted(set(by_drawing.values()))}
    aliases = {name: by_drawing[json.dumps(nodes, sort_keys=True)]
               for name, nodes in sorted(drawings.items()) if name not in icons}

    def lines(mapping: dict[str, Any]) -> str:
        return ",\n".join(f"{json.dumps(k)}:{json.dumps(v, separators=(',', ':'))}"
                           for k, v in mapping.items())

    text = '{"icons":{\n' + lines(icons) + '\n},\n"aliases":{\n' + lines(aliases) + "\n}}\n"
    return text.encode("utf-8")


TRANSFORMS = {"lucide_icons": lucide_icons}


def load_manifest(vendor_dir: Path) -> list[dict[str, Any]]:
    """Parse VERSIONS.json in ``vendor_dir``."""
    path = vendor_dir / MANIFEST_NAME
    if not path.is_file():
        raise VendorError(f"{path} is missing; run scripts/vendor.py")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise VendorError(f"{path} is not valid JSON: {exc}") from exc
    if not isinstance(data, list):
        raise VendorError(f"{path} must contain a JSON list")
    return data


def refresh(vendor_dir: Path | None = None, pins: dict[str, dict[str, Any]] | None = None) -> None:
    """Download every pinned package and rewrite the vendored files + manifest.

    Defaults to ``VENDOR_DIR`` and ``PINS``.
    """
    vendor_dir = VENDOR_DIR if vendor_dir is None else vendor_dir
    pins = PINS if pins is None else pins
    try:
        previous = {rel for entry in load_manifest(vendor_dir) for rel in entry.get("files", {})}
    except VendorError:
        previous = set()

    records: list[PackageRecord] = []
    with tempfile.TemporaryDirectory(prefix="appkit-vendor-") as tmp:
        for package, pin in pins.items():
            record, notes = vendor_package(package, pin, Path(tmp), vendor_dir)
            records.append(record)
            for note in notes:
                print(f"  stripped: {note}")
            files = ", ".join(sorted(record.files))
            print(f"{package}@{record.version} ({record.license}) -> {files}")

    produced = {rel for r in records for rel in r.files}
    for rel in sorted(previous - produced):
        stale = vendor_dir.joinpath(*_safe_relpath(rel).parts)
        if stale.is_file():
            stale.unlink()
            print(f"removed stale {rel}")

    manifest = json.dumps([r.to_json() for r in records], indent=2) + "\n"
    write_if_changed(vendor_dir / MANIFEST_NAME, manifest.encode("utf-8"))


# --------------------------------------------------------------------------- #
# Check (offline)
# --------------------------------------------------------------------------- #
def check(vendor_dir: Path | None = None) -> list[str]:
    """Verify vendored files against VERSIONS.json without touching the network.

    ``vendor_dir`` defaults to ``VENDOR_DIR``.  Returns a list of problems
    (empty when everything matches); each problem names the offending file.
    """
    vendor_dir = VENDOR_DIR if vendor_dir is None else vendor_dir
    try:
        manifest = load_manifest(vendor_dir)
    except VendorError as exc:
        return [str(exc)]
    problems: list[str] = []
    if not manifest:
        problems.append(f"{vendor_dir / MANIFEST_NAME} lists no packages")
    for entry in manifest:
        files = entry.get("files") if isinstance(entry, dict) else None
        if not isinstance(files, dict) or not files:
            problems.append(f"{MANIFEST_NAME}: malformed entry {entry!r}")
            continue
        for rel, expected in files.items():
            try:
                path = vendor_dir.joinpath(*_safe_relpath(rel).parts)
            except VendorError as exc:
                problems.append(f"{MANIFEST_NAME}: {exc}")
                continue
            if not path.is_file():
                problems.append(f"{path}: missing (listed in {MANIFEST_NAME})")
                continue
            actual = sha256_bytes(path.read_bytes())
            if actual != expected:
                problems.append(
                    f"{path}: sha256 {actual} does not match {MANIFEST_NAME} ({expected})"
                )
    return problems


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check",
        action="store_true",
        help="verify files against VERSIONS.json sha256 (offline) instead of refreshing",
    )
    args = parser.parse_args(argv)
    if args.check:
        problems = check()
        for problem in problems:
            print(problem, file=sys.stderr)
        if problems:
            return 1
        print(f"vendored assets match {MANIFEST_NAME}")
        return 0
    try:
        refresh()
    except VendorError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
