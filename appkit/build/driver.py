"""``appkit build``: the app as ONE executable (or a folder) that starts fast and tests
itself.

Stages, each printed with its time:

1. check: PyInstaller and the window backend are installed, the app imports, the icon is
   an image, the data files exist;
2. collect: PyInstaller (with appkit's hooks, ``packaging/hooks``) makes a one-folder
   build in a work folder, from the spec template ``packaging/app.spec.in``;
3. pack (one file): the folder is zipped behind a small launcher (``packaging/launcher.py``)
   that unpacks it once into the user's cache and starts it from there;
4. test: the result runs its own ``--self-test``, then a warm start is timed.

Only a complete, tested result is moved into the output folder: a failed build leaves
nothing half-written there.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import string
import subprocess
import sys
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from appkit.build.errors import BuildError
from appkit.build.onefile import assemble, build_launcher, zip_folder

__all__ = ["BuildError", "BuildOptions", "BuildResult", "build", "packaging_dir", "hook_dirs"]

#: What no app needs inside its executable.
EXCLUDES = [
    "tkinter", "_tkinter", "turtle", "turtledemo", "idlelib", "lib2to3", "pydoc_data",
    "test", "tests", "unittest.test", "distutils", "setuptools", "pkg_resources", "pip",
    "pytest", "_pytest", "IPython", "jupyter_client", "sphinx", "mypy", "ruff",
    "watchfiles", "playwright", "PyInstaller",
]
_WEBVIEW_PLATFORMS = ["gtk", "qt", "cocoa", "winforms", "edgechromium", "mshtml", "cef",
                      "android"]
_QT_PACKAGES = ["PyQt6", "PyQt5", "PySide2", "PySide6", "qtpy"]
BACKENDS = ("gtk", "qt")


@dataclass
class BuildOptions:
    """What to build and how (the ``appkit build`` command line)."""

    target: str
    out_dir: Path = Path("dist")
    name: str | None = None
    icon: Path | None = None
    onedir: bool = False
    backend: str | None = None
    check: bool = True
    work_dir: Path | None = None


@dataclass
class BuildResult:
    """Where the result is and how it did."""

    path: Path
    size: int
    self_test: str = ""
    first_start: float | None = None
    warm_start: float | None = None
    stages: list[tuple[str, float]] = field(default_factory=list)


def packaging_dir() -> Path:
    """The ``packaging/`` folder: in the wheel it is installed as ``appkit/_packaging``;
    in a source checkout it is the top-level folder beside ``appkit/``."""
    here = Path(__file__).resolve().parent.parent
    for candidate in (here / "_packaging", here.parent / "packaging"):
        if (candidate / "app.spec.in").is_file():
            return candidate
    raise BuildError(
        "appkit's packaging files are missing (looked in "
        f"{here / '_packaging'} and {here.parent / 'packaging'}). Reinstall appkit: "
        "pip install --force-reinstall 'appkit[build]'")


def hook_dirs() -> list[str]:
    """PyInstaller's ``pyinstaller40`` entry point: appkit's hook folder."""
    return [str(packaging_dir() / "hooks")]


# ---- the build --------------------------------------------------------------------------

Say = Callable[[str], None]


def build(options: BuildOptions, say: Say | None = None) -> BuildResult:
    """Build the app ``options.target`` names.

    Raises:
        BuildError: something is missing or wrong (the message says how to fix it), or
            PyInstaller failed (the message names its log).
    """
    out = say or (lambda line: print(line, flush=True))
    plan = _Plan(options, out)
    return plan.run()


class _Plan:
    def __init__(self, options: BuildOptions, say: Say) -> None:
        self.options = options
        self.say = say
        self.stages: list[tuple[str, float]] = []
        self.onefile = not options.onedir
        self.native_onefile = self.onefile and sys.platform == "darwin"

    def stage(self, number: int, total: int, label: str) -> _Stage:
        return _Stage(self, f"[{number}/{total}] {label}")

    def run(self) -> BuildResult:
        total = 4 if self.onefile and not self.native_onefile else 3
        total += 0 if self.options.check else -1
        with self.stage(1, total, "checking the app") as st:
            app = self.check()
            st.detail = f"{self.app_name} {self.version}, {self.backend_label}"
        work = self.work_dir()
        with self.stage(2, total, "collecting with PyInstaller") as st:
            folder = self.collect(app, work)
            files = sum(1 for p in folder.rglob("*") if p.is_file())
            st.detail = f"{files} files, {_mib(_tree_size(folder))}"
        number = 3
        if self.onefile and not self.native_onefile:
            with self.stage(3, total, "packing one file") as st:
                built = self.pack(folder, work)
                st.detail = _mib(built.stat().st_size)
            number = 4
        else:
            built = folder
        result = BuildResult(path=built, size=_tree_size(built), stages=self.stages)
        if self.options.check:
            with self.stage(number, total, "testing the executable") as st:
                self.test(result)
                st.detail = result.self_test
        final = self.publish(built)
        result.path = final
        timing = ""
        if result.warm_start is not None:
            timing = f"; starts in {result.warm_start:.2f} s"
            if result.first_start is not None and self.onefile:
                timing += f" ({result.first_start:.2f} s the first time, unpacking)"
        self.say(f"built {final} ({_mib(result.size)}{timing})")
        return result

    # ---- 1. checks -------------------------------------------------------------------

    def check(self) -> Any:
        try:
            import PyInstaller  # noqa: F401
        except ImportError:
            raise BuildError(
                "PyInstaller is not installed. Install appkit's build extra: "
                "pip install 'appkit[build]'") from None
        self.backend = self._backend()
        self.backend_label = self.backend or "native webview"
        from appkit.loader import load_app, locate

        location = locate(self.options.target)
        self.location = location
        app = load_app(self.options.target)
        self.project = _project_config(location.folder)
        config = self.project.get("tool", {}).get("appkit", {})
        self.app_name = str(getattr(app, "name", None) or location.module)
        self.exe_name = _safe_name(self.options.name or config.get("name") or self.app_name)
        self.version = str(config.get("version") or getattr(app, "version", None)
                           or self.project.get("project", {}).get("version") or "0.0.0")
        icon = self.options.icon or (self.project_dir / config["icon"]
                                     if config.get("icon") else None)
        self.icon = _check_icon(Path(icon)) if icon else None
        self.datas = self._datas(app, config)
        return app

    def _backend(self) -> str | None:
        backend = self.options.backend
        if sys.platform != "linux":
            if backend not in (None, "auto"):
                raise BuildError(
                    f"--backend {backend} is for Linux; on {sys.platform} the app uses the "
                    "system's own webview. Leave --backend out.")
            return None
        backend = backend or "gtk"
        if backend not in BACKENDS:
            raise BuildError(f"Unknown backend {backend!r}: use gtk or qt")
        if backend == "gtk":
            from shell.backends import BackendUnavailable
            from shell.backends.webview import import_gtk

            try:
                import_gtk()
            except BackendUnavailable as exc:
                raise BuildError(
                    f"The gtk backend cannot be bundled: {exc}. Or build with --backend qt."
                ) from None
        else:
            try:
                import qtpy  # noqa: F401
                from PyQt6 import QtWebEngineWidgets  # noqa: F401
            except ImportError as exc:
                raise BuildError(
                    f"The qt backend cannot be bundled: {exc}. Install it: "
                    "pip install 'appkit[qt]', or build with --backend gtk.") from None
        return backend

    @property
    def project_dir(self) -> Path:
        return Path(self.project.get("__folder__", self.location.folder))

    def _datas(self, app: Any, config: dict[str, Any]) -> list[tuple[str, str]]:
        """(source, folder in the bundle) pairs: the app's static folder and data files,
        each placed at the same path relative to the app's module as in the source."""
        root = self.location.folder
        datas: list[tuple[str, str]] = []

        def add(path: Path, declared_in: str) -> None:
            path = path.resolve()
            if not path.exists():
                raise BuildError(f"The data file {path} (declared in {declared_in}) does not "
                                 "exist. Fix the path or create the file.")
            try:
                relative = path.relative_to(root)
            except ValueError:
                raise BuildError(
                    f"The data file {path} (declared in {declared_in}) is outside the app's "
                    f"folder {root}. Move it into that folder, so the app finds it at the "
                    "same place relative to its module when built.") from None
            if path.is_dir():
                datas.append((str(path), str(relative)))
            else:
                datas.append((str(path), str(relative.parent)))

        static = getattr(app, "static", None)
        if static is not None and getattr(static, "directory", None) is not None:
            add(Path(static.directory), "the App's static folder")
        for item in getattr(app, "data_files", ()) or ():
            add(root / item, "App(data_files=...)")
        for item in config.get("data", []) or []:
            add(self.project_dir / item, "[tool.appkit] data in pyproject.toml")
        return datas

    # ---- 2. PyInstaller ----------------------------------------------------------------

    def work_dir(self) -> Path:
        base = self.options.work_dir or Path("build") / "appkit"
        work = (base / self.exe_name).resolve()
        if work.exists():
            shutil.rmtree(work)
        work.mkdir(parents=True)
        return work

    def collect(self, app: Any, work: Path) -> Path:
        packaging = packaging_dir()
        module, attr = self.location.module, self.location.attr
        entry = work / "entry.py"
        entry.write_text(string.Template(
            (packaging / "entry.py.in").read_text("utf-8")).substitute(
            module=module, attr=repr(attr or None)), "utf-8")
        info = {
            "name": self.app_name, "version": self.version, "program": self.exe_name,
            "backend": self.backend, "backend_choice": _backend_choice(self.backend),
            "mode": "onedir" if not self.onefile else "onefile",
            "built": datetime.now(UTC).isoformat(timespec="seconds"),
            "appkit": _appkit_version(),
        }
        (work / "appkit-build.json").write_text(json.dumps(info, indent=1), "utf-8")
        config = {
            "entry": str(entry),
            # appkit's own folder too: an editable install is found through an import
            # hook that PyInstaller's analysis does not run.
            "pathex": [str(self.location.path_root), str(_appkit_root())],
            "datas": [*self.datas, (str(work / "appkit-build.json"), ".")],
            "hiddenimports": _hidden_imports(self.backend),
            "hookspath": [str(packaging / "hooks")],
            "excludes": _excludes(self.backend),
            "drop_datas": _dropped_datas(self.backend),
            "name": self.exe_name,
            "console": sys.platform == "linux",
            # Debug symbols are most of libpython's and uvloop's size; Linux only
            # (PyInstaller cannot strip Windows or signed macOS binaries).
            "strip": sys.platform == "linux" and shutil.which("strip") is not None,
            "icon": str(self.icon) if self.icon else None,
            "native_onefile": self.native_onefile,
            "app_bundle": sys.platform == "darwin" and not self.onefile,
            "bundle_identifier": f"org.appkit.{self.exe_name}",
            "version": self.version,
        }
        spec = work / f"{self.exe_name}.spec"
        spec.write_text(string.Template((packaging / "app.spec.in").read_text("utf-8"))
                        .substitute(config=json.dumps(config, indent=1)), "utf-8")
        _pyinstaller([str(spec), "--noconfirm", "--distpath", str(work / "dist"),
                      "--workpath", str(work / "pyinstaller")], work / "pyinstaller.log",
                     self.say)
        if self.native_onefile:
            return work / "dist" / self.exe_name
        if sys.platform == "darwin":
            return work / "dist" / f"{self.exe_name}.app"
        return work / "dist" / self.exe_name

    # ---- 3. one file -----------------------------------------------------------------

    def pack(self, folder: Path, work: Path) -> Path:
        launcher = build_launcher(work, self.say, packaging_dir(), _pyinstaller)
        program = self.exe_name + (".exe" if os.name == "nt" else "")
        payload = work / "payload.zip"
        zip_folder(folder, payload)
        digest = hashlib.sha256()
        with payload.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
        from shell.paths import folder_name

        info = {"key": digest.hexdigest()[:32], "program": program,
                "folder": folder_name(self.app_name), "name": self.app_name,
                "version": self.version}
        target = work / "onefile" / program
        target.parent.mkdir()
        assemble(launcher, payload, info, target, self.icon, work)
        payload.unlink()
        return target

    # ---- 4. test ----------------------------------------------------------------------

    def test(self, result: BuildResult) -> None:
        program = result.path
        if program.is_dir():
            inner = program / ("Contents/MacOS" if program.suffix == ".app" else "")
            program = inner / (self.exe_name + (".exe" if os.name == "nt" else ""))
        started = time.perf_counter()
        try:
            done = subprocess.run([str(program), "--self-test"], capture_output=True,
                                  text=True, timeout=300, stdin=subprocess.DEVNULL)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise BuildError(f"The built executable did not run: {exc}", usage=False) from None
        result.first_start = time.perf_counter() - started
        report = (done.stdout + done.stderr).strip()
        if done.returncode != 0:
            raise BuildError(
                f"The built executable failed its self-test (exit {done.returncode}):\n"
                f"{report}\nThe build is kept in {result.path.parent} for a look; nothing "
                "was written to the output folder.", usage=False)
        result.self_test = report.splitlines()[-1] if report else "passed"
        result.warm_start = _time_to_ready(program)

    # ---- publishing --------------------------------------------------------------------

    def publish(self, built: Path) -> Path:
        out = self.options.out_dir.resolve()
        out.mkdir(parents=True, exist_ok=True)
        final = out / built.name
        staging = out / f".{built.name}.partial-{os.getpid()}"
        try:
            if built.is_dir():
                shutil.copytree(built, staging, symlinks=True)
            else:
                shutil.copy2(built, staging)
            if final.is_dir() and not final.is_symlink():
                old = out / f".{built.name}.old-{os.getpid()}"
                final.rename(old)
                staging.rename(final)
                shutil.rmtree(old, ignore_errors=True)
            else:
                os.replace(staging, final)
        except BaseException:
            if staging.is_dir():
                shutil.rmtree(staging, ignore_errors=True)
            else:
                staging.unlink(missing_ok=True)
            raise
        return final


class _Stage:
    def __init__(self, plan: _Plan, label: str) -> None:
        self.plan, self.label, self.detail = plan, label, ""

    def __enter__(self) -> _Stage:
        self.started = time.perf_counter()
        self.plan.say(f"{self.label} ...")
        return self

    def __exit__(self, kind: Any, exc: Any, tb: Any) -> None:
        took = time.perf_counter() - self.started
        if kind is None:
            self.plan.stages.append((self.label, took))
            detail = f": {self.detail}" if self.detail else ""
            self.plan.say(f"{self.label} done in {took:.1f} s{detail}")


# ---- helpers ----------------------------------------------------------------------------

def _pyinstaller(args: list[str], log: Path, say: Say) -> None:
    """Run PyInstaller in a child process; its log goes to ``log``, its main steps to the
    terminal."""
    steps = {
        "Analyzing ": "analysing the app's imports",
        "Processing standard module hook": None,
        "Building PYZ": "compressing the Python modules",
        "Building EXE": "writing the executable",
        "Building COLLECT": "collecting the files",
        "Building BUNDLE": "making the .app bundle",
    }
    shown: set[str] = set()
    command = [sys.executable, "-m", "PyInstaller", "--log-level", "INFO", *args]
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    with log.open("w", encoding="utf-8") as handle:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   text=True, env=env, stdin=subprocess.DEVNULL)
        assert process.stdout is not None
        for line in process.stdout:
            handle.write(line)
            for marker, text in steps.items():
                if text and marker in line and text not in shown:
                    shown.add(text)
                    say(f"      {text}")
        code = process.wait()
    if code != 0:
        tail = "\n".join(log.read_text("utf-8", errors="replace").splitlines()[-15:])
        raise BuildError(f"PyInstaller failed (exit {code}). The end of its log ({log}):\n"
                         f"{tail}", usage=False)


def _time_to_ready(program: Path) -> float | None:
    """Seconds from starting ``program --headless`` to its ``ready:`` line (a warm start:
    the one file is already unpacked)."""
    started = time.perf_counter()
    process = subprocess.Popen([str(program), "--headless"], stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, text=True)
    took = None
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + 60
        for line in process.stdout:
            if line.startswith("ready: "):
                took = time.perf_counter() - started
                break
            if time.monotonic() > deadline:
                break
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return took


def _project_config(folder: Path) -> dict[str, Any]:
    """The nearest pyproject.toml at or above ``folder`` (with ``__folder__`` set)."""
    for candidate in (folder, *folder.parents):
        path = candidate / "pyproject.toml"
        if path.is_file():
            try:
                data = tomllib.loads(path.read_text("utf-8"))
            except (OSError, tomllib.TOMLDecodeError) as exc:
                raise BuildError(f"{path} cannot be read: {exc}") from None
            data["__folder__"] = str(candidate)
            return data
    return {}


_ICON_MAGIC = {b"\x89PNG\r\n\x1a\n": "png", b"\x00\x00\x01\x00": "ico", b"icns": "icns"}


def _check_icon(path: Path) -> Path:
    path = path.resolve()
    if not path.is_file():
        raise BuildError(f"The icon {path} does not exist.")
    head = path.read_bytes()[:8]
    kind = next((k for magic, k in _ICON_MAGIC.items() if head.startswith(magic)), None)
    if kind is None:
        raise BuildError(
            f"The icon {path} is not a PNG, ICO or ICNS image. Give a .png (256x256 or "
            "larger works everywhere) or a Windows .ico / macOS .icns file.")
    needs_pillow = (os.name == "nt" and kind != "ico") or (
        sys.platform == "darwin" and kind != "icns")
    if needs_pillow:
        try:
            import PIL  # noqa: F401
        except ImportError:
            raise BuildError(
                f"The icon {path.name} has to be converted for this platform, which needs "
                "Pillow: pip install pillow (or give a .ico on Windows, .icns on macOS)."
            ) from None
    return path


def _hidden_imports(backend: str | None) -> list[str]:
    imports = ["appkit.build.runtime"]
    if backend == "gtk":
        imports += ["webview.platforms.gtk"]
    elif backend == "qt":
        imports += ["webview.platforms.qt"]
    elif sys.platform == "win32":
        imports += ["webview.platforms.winforms", "webview.platforms.edgechromium"]
    elif sys.platform == "darwin":
        imports += ["webview.platforms.cocoa"]
    return imports


def _excludes(backend: str | None) -> list[str]:
    keep = {"gtk": ["gtk"], "qt": ["qt"], None: (
        ["winforms", "edgechromium", "mshtml"] if sys.platform == "win32" else ["cocoa"])}
    excludes = list(EXCLUDES)
    excludes += [f"webview.platforms.{p}" for p in _WEBVIEW_PLATFORMS if p not in keep[backend]]
    if backend != "qt":
        excludes += _QT_PACKAGES
    if backend != "gtk":
        excludes += ["gi"]
    return excludes


def _dropped_datas(backend: str | None) -> list[str]:
    """Prefixes of the bundle paths the build leaves out: files PyInstaller's GTK hooks
    collect that the Linux GTK stack never reads from the bundle.

    - ``share/locale/``: GLib, GTK and gdk-pixbuf bind their translations to the
      compile-time folder (``/usr/share/locale``), never to the bundle's ``share``;
    - the Adwaita cursors: X11 (libXcursor) and GTK's Wayland backend look for cursor
      themes in ``~/.icons`` and ``/usr/share/icons`` (``XCURSOR_PATH``), never in
      ``XDG_DATA_DIRS``, where the bundle's ``share`` is;
    - Adwaita's raster icons and its ``icon-theme.cache`` (which lists them): GTK's widgets
      draw the scalable symbolic icons, which stay; a lookup that misses falls through to
      the system's own Adwaita, which the system's GTK package (a dependency of
      WebKitGTK, which the executable needs from the system) always brings.
    """
    if backend != "gtk" or sys.platform != "linux":
        return []
    adwaita = "share/icons/Adwaita/"
    sizes = [f"{adwaita}{n}x{n}/" for n in (8, 16, 22, 24, 32, 48, 64, 96, 256, 512)]
    return ["share/locale/", f"{adwaita}cursors/", f"{adwaita}icon-theme.cache", *sizes]


def _backend_choice(backend: str | None) -> str:
    return "auto" if backend in (None, "gtk") else backend


def _safe_name(name: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.")
    if not cleaned:
        raise BuildError(f"{name!r} cannot name an executable: use letters and digits.")
    return cleaned


def _appkit_root() -> Path:
    import appkit
    import shell

    root = Path(appkit.__file__).resolve().parent.parent
    if Path(shell.__file__).resolve().parent.parent != root:  # pragma: no cover
        raise BuildError("appkit and shell are installed in different places; reinstall "
                         "appkit: pip install --force-reinstall appkit")
    return root


def _appkit_version() -> str:
    from appkit import __version__

    return __version__


def _tree_size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def _mib(size: int) -> str:
    return f"{size / (1 << 20):.1f} MiB"
