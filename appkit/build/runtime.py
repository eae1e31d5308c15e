"""The built executable's start: the app in its window, or headless, or its self-test.

    app-executable                 the window (single instance, logs, per-user data)
    app-executable --headless      serve only; prints ``ready: <url>``
    app-executable --self-test     start headless, check, print a report, exit 0 or 1
    app-executable --version

Any other arguments are the app's own (a second launch hands them to the first).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import sys
import time
import urllib.request
from collections.abc import Callable
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any

from appkit.errors import AppkitError, AppLoadError

__all__ = ["main", "self_test", "build_info"]

EXIT_USAGE = 2


def build_info() -> dict[str, Any]:
    """What ``appkit build`` recorded about this executable (name, version, backend...);
    empty when not running from a build."""
    base = getattr(sys, "_MEIPASS", None)
    if not base:
        return {}
    try:
        return dict(json.loads((Path(base) / "appkit-build.json").read_text("utf-8")))
    except (OSError, ValueError):
        return {}


def main(module: Any, attr: str | None = None, argv: list[str] | None = None) -> int:
    """Run the app found in ``module`` (its ``attr``, or its only App) as the executable's
    arguments say; returns the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    _console_for_reports(args)
    info = build_info()
    try:
        from appkit.loader import find_app

        app = find_app(module, attr or "", module.__name__)
    except AppLoadError as exc:
        print(f"{_program()}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if "--version" in args:
        print(f"{getattr(app, 'name', _program())} {info.get('version', 'unknown')}")
        return 0
    if "--self-test" in args:
        return self_test(app)
    backend = "headless" if "--headless" in args else info.get("backend_choice", "auto")
    app_args = [a for a in args if a != "--headless"]
    try:
        app.run(backend=backend, argv=[sys.executable, *app_args])
    except AppkitError as exc:
        print(f"{_program()}: {exc}", file=sys.stderr)
        return 1
    return 0


# ---- the self-test ---------------------------------------------------------------------

Check = Callable[[], str]


def self_test(app: Any, out: Callable[[str], None] | None = None) -> int:
    """Start ``app`` headless on a guarded loopback server and check that it works: the
    index page through the guard, the data folder, a worker process. Prints one line per
    check and a verdict; returns 0 when every check passed, else 1."""
    say = out or (lambda line: print(line, flush=True))
    from shell.guard import TOKEN_PARAM, LoopbackGuard, new_token
    from shell.paths import AppDirs
    from shell.server import LoopbackServer

    name = str(getattr(app, "name", None) or _program())
    info = build_info()
    say(f"self-test: {name} {info.get('version', '')}".rstrip())
    token = new_token()
    server = LoopbackServer(LoopbackGuard(app, token), shutdown_timeout=5.0)
    results: list[bool] = []

    def check(label: str, fn: Check) -> None:
        started = time.perf_counter()
        try:
            detail = fn()
            ok = True
        except Exception as exc:  # each failure is reported, not raised
            detail, ok = f"{type(exc).__name__}: {exc}", False
        took = (time.perf_counter() - started) * 1000
        say(f"  {'ok  ' if ok else 'FAIL'} {label}: {detail} ({took:.0f} ms)")
        results.append(ok)

    url = ""

    def start() -> str:
        nonlocal url
        url = server.start()
        return url

    check("server starts", start)
    if url:
        check("index page through the guard", lambda: _load_index(url, TOKEN_PARAM, token))
        check("refused without the token", lambda: _refused(url))
    check("data folder writable", lambda: _writable(AppDirs(name).data))
    check("worker process", _worker)
    check("job in a worker process", lambda: _job(AppDirs(name).data))
    if url and not server.stop():
        say("  FAIL server stops: it did not stop within 5 s")
        results.append(False)
    passed = all(results)
    say(f"self-test {'passed' if passed else 'FAILED'}: {sum(results)} of {len(results)} "
        "checks ok")
    return 0 if passed else 1


def _load_index(url: str, param: str, token: str) -> str:
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    with opener.open(f"{url}?{param}={token}", timeout=15) as response:
        body = response.read()
        status = response.status
        final = response.url
    if status != 200:
        raise RuntimeError(f"answered {status}")
    if param in final:
        raise RuntimeError("the token stayed in the address")
    if b"<html" not in body.lower():
        raise RuntimeError("the answer is not an HTML page")
    with opener.open(url, timeout=15) as response:  # the cookie alone lets it in
        response.read()
    return f"200, {len(body)} bytes"


def _refused(url: str) -> str:
    try:
        with urllib.request.urlopen(url, timeout=15) as response:
            raise RuntimeError(f"answered {response.status} without the token")
    except urllib.error.HTTPError as exc:
        if exc.code != 403:
            raise RuntimeError(f"answered {exc.code}, not 403") from None
        return "403"


def _writable(folder: Path) -> str:
    probe = folder / f".self-test-{os.getpid()}"
    probe.write_text("ok", encoding="utf-8")
    try:
        if probe.read_text(encoding="utf-8") != "ok":
            raise RuntimeError("read back something else")
    finally:
        probe.unlink(missing_ok=True)
    return str(folder)


def _worker() -> str:
    context = multiprocessing.get_context("spawn")
    with context.Pool(1) as pool:
        answer = pool.apply_async(_worker_probe).get(timeout=60)
    if answer["pid"] == os.getpid():
        raise RuntimeError("ran in this process")
    if answer["app_imported"]:
        raise RuntimeError("the worker imported the app's module (its main code ran again)")
    return f"pid {answer['pid']}, the app's module not re-run"


def _job(folder: Path) -> str:
    """A trivial run through appkit's job scheduler (its own worker process, its own
    scheduler database), as the app's jobs run."""
    import tempfile

    from appkit.jobs import Jobs

    with tempfile.TemporaryDirectory(prefix=".self-test-jobs-", dir=folder) as tmp:
        jobs = Jobs(Path(tmp) / "self-test-jobs.db")
        jobs.register("self_test_probe", _job_probe, timeout=60)
        jobs.start()
        try:
            run = jobs.wait(jobs.enqueue("self_test_probe", {"value": 21}), timeout=60)
        finally:
            jobs.stop()
    if run.status != "completed":
        raise RuntimeError(f"the run ended {run.status}: {run.error or ''}".strip())
    if run.output != {"doubled": 42, "app_imported": False} or run.output.get("pid") == 0:
        raise RuntimeError(f"the run answered {run.output!r}")
    return f"run {run.id} completed in its own process"


def _job_probe(value: int) -> dict[str, Any]:
    main_module = sys.modules.get("__main__")
    return {"doubled": value * 2,
            "app_imported": "_app_module" in vars(main_module) if main_module else False}


def _worker_probe() -> dict[str, Any]:
    main_module = sys.modules.get("__main__")
    return {
        "pid": os.getpid(),
        # The entry script imports the app's module only in the main process.
        "app_imported": "_app_module" in vars(main_module) if main_module else False,
    }


# ---- helpers ----------------------------------------------------------------------------

def _program() -> str:
    return Path(sys.executable).stem


def _console_for_reports(args: list[str]) -> None:
    """A windowed Windows executable has no stdout; for the reports a user asks for on a
    command line, attach to the console it was started from."""
    if sys.stdout is not None or os.name != "nt":
        return
    if not {"--self-test", "--version", "--headless"} & set(args):
        return
    import ctypes  # pragma: no cover - Windows only

    if ctypes.windll.kernel32.AttachConsole(-1):  # type: ignore[attr-defined]  # pragma: no cover
        sys.stdout = open("CONOUT$", "w", encoding="utf-8")  # noqa: SIM115
        sys.stderr = open("CONOUT$", "w", encoding="utf-8")  # noqa: SIM115
