"""Layer 4: the todo example built as one file, run as a user would run it.

The build happens once per session (``built_todo``); each test runs the executable with its
own private per-user folders, so each one starts from "never run on this machine".
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.packaging.conftest import Built, private_env
from tests.shell.lines import Lines
from tests.shell.test_window import group_is_gone
from tests.shell.x11 import close_window, find_window, wait_window_gone

pytestmark = pytest.mark.frozen


@contextmanager
def started(exe: Path, args: list[str], env: dict[str, str], cwd: Path
            ) -> Iterator[tuple[subprocess.Popen[str], Lines]]:
    errors = tempfile.TemporaryFile("w+")
    proc = subprocess.Popen([str(exe), *args], env=env, cwd=cwd, stdout=subprocess.PIPE,
                            stderr=errors, text=True, start_new_session=True,
                            stdin=subprocess.DEVNULL)
    assert proc.stdout is not None

    def stderr() -> str:
        errors.seek(0)
        return f"stderr: {errors.read()[-3000:]}"

    try:
        yield proc, Lines(proc.stdout, stderr)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        proc.stdout.close()
        errors.close()


def versions(env: dict[str, str]) -> list[Path]:
    root = Path(env["XDG_CACHE_HOME"]) / "todo" / "bin"
    return sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []


def test_the_build_reports_each_stage_the_result_and_its_start_time(built_todo: Built) -> None:
    out = built_todo.output
    for stage in ("[1/4] checking the app", "[2/4] collecting with PyInstaller",
                  "[3/4] packing one file", "[4/4] testing the executable"):
        assert re.search(re.escape(stage) + r" done in \d+\.\d s", out), out
    assert re.search(r"built .*/dist/todo \(\d+\.\d MiB; starts in \d\.\d\d s \(\d+\.\d\d s "
                     r"the first time, unpacking\)\)", out), out
    assert "self-test passed" in out
    dist = built_todo.exe.parent
    assert [p.name for p in dist.iterdir()] == ["todo"], "one file, nothing half-written"
    assert built_todo.exe.is_file() and os.access(built_todo.exe, os.X_OK)


def test_self_test_passes_on_a_machine_where_it_never_ran(built_todo: Built,
                                                          tmp_path: Path) -> None:
    env = private_env(tmp_path / "home")
    done = subprocess.run([str(built_todo.exe), "--self-test"], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    report = done.stdout
    for check in ("server starts", "index page through the guard",
                  "refused without the token", "data folder writable", "worker process",
                  "job in a worker process"):
        assert re.search(rf"ok +{check}:", report), report
    assert "the app's module not re-run" in report
    assert re.search(r"self-test passed: 6 of 6 checks ok", report), report
    assert len(versions(env)) == 1


def test_headless_serves_the_page_through_the_guard_and_writes_nothing_beside_itself(
        built_todo: Built, tmp_path: Path) -> None:
    env = private_env(tmp_path / "home")
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    before = sorted(p.name for p in built_todo.exe.parent.iterdir())
    with started(built_todo.exe, ["--headless"], env, cwd) as (proc, lines):
        url = lines.expect("ready: http://127.0.0.1:", timeout=120).split(" ", 1)[1]
        base = url.split("?", 1)[0].rstrip("/")
        assert httpx.get(base + "/").status_code == 403  # no token, no page
        with httpx.Client(follow_redirects=True) as client:
            page = client.get(url)
            assert page.status_code == 200
            assert "appkit-token" not in str(page.url)
            assert "<title>Todo" in page.text or "Todo" in page.text
            headers = {"Origin": base, "HX-Request": "true"}
            csrf = re.search(r'<meta name="csrf-token" content="([^"]+)"', page.text)
            if csrf:  # what appkit.js sends with every htmx request
                headers["X-CSRF-Token"] = csrf.group(1)
            added = client.post(base + "/todos", data={"title": "Frozen milk"},
                                headers=headers)
            assert added.status_code == 200, added.text
            assert "Frozen milk" in client.get(base + "/").text
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
        assert group_is_gone(proc.pid)
    assert list(cwd.iterdir()) == [], "the app wrote into the current directory"
    assert sorted(p.name for p in built_todo.exe.parent.iterdir()) == before


def test_the_one_file_unpacks_once_and_again_only_when_damaged(built_todo: Built,
                                                               tmp_path: Path) -> None:
    env = private_env(tmp_path / "home")

    def version() -> str:
        done = subprocess.run([str(built_todo.exe), "--version"], env=env, cwd=tmp_path,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    assert re.fullmatch(r"todo \d+\.\d+\.\d+", version())
    [folder] = versions(env)
    marker = folder / ".appkit-complete"
    first = marker.stat().st_mtime_ns
    version()
    assert marker.stat().st_mtime_ns == first, "unpacked again on the second start"
    sizes = json.loads(marker.read_text())
    victim = folder / next(name for name in sizes if name.endswith(".so") or "base_library"
                           in name)
    victim.write_bytes(b"")  # a file damaged after unpacking
    version()
    assert marker.stat().st_mtime_ns != first, "a damaged unpacking was used"
    assert victim.stat().st_size == sizes[str(victim.relative_to(folder))]
    assert [p.name for p in versions(env)] == [folder.name]


@pytest.mark.skipif(sys.platform != "linux", reason="the GTK bundle is Linux's")
def test_what_the_app_never_reads_is_left_out_and_what_gtk_draws_with_stays(
        built_todo: Built, tmp_path: Path) -> None:
    env = private_env(tmp_path / "home")
    done = subprocess.run([str(built_todo.exe), "--version"], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    [folder] = versions(env)
    names = set(json.loads((folder / ".appkit-complete").read_text()))
    internal = "_internal/"
    assert not [n for n in names if n.startswith(internal + "share/locale/")]
    assert not [n for n in names if "/icons/Adwaita/cursors/" in n]
    assert internal + "share/icons/Adwaita/icon-theme.cache" not in names
    assert not [n for n in names if n.startswith((internal + "PIL/", internal + "pillow.libs/",
                                                  internal + "pydantic_core/"))]
    # What GTK reads from the bundle stays: its settings' schemas, the MIME database, the
    # image loaders, the symbolic icons its widgets draw.
    assert internal + "share/glib-2.0/schemas/gschemas.compiled" in names
    assert internal + "lib/gdk-pixbuf/loaders.cache" in names
    assert [n for n in names if n.startswith(internal + "share/icons/Adwaita/scalable/")]
    assert len(names) < 2000, "translations or raster icons are back"


def test_several_first_starts_at_once_unpack_one_copy(built_todo: Built,
                                                      tmp_path: Path) -> None:
    env = private_env(tmp_path / "home")
    procs = [subprocess.Popen([str(built_todo.exe), "--version"], env=env, cwd=tmp_path,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(6)]
    results = [(p.wait(timeout=300), *p.communicate()) for p in procs]
    for code, out, err in results:
        assert code == 0, err
        assert out.startswith("todo ")
    root = Path(env["XDG_CACHE_HOME"]) / "todo" / "bin"
    assert len(versions(env)) == 1
    assert not [p for p in root.iterdir() if ".unpacking-" in p.name]


def test_old_versions_are_pruned_unless_running(built_todo: Built, tmp_path: Path) -> None:
    env = private_env(tmp_path / "home")
    root = Path(env["XDG_CACHE_HOME"]) / "todo" / "bin"
    root.mkdir(parents=True)
    old, running = root / ("a" * 32), root / ("b" * 32)
    for folder in (old, running):
        (folder / "_internal").mkdir(parents=True)
        (folder / "todo").write_text("an older build")
    leftover = root / (("c" * 32) + ".unpacking-x1")  # an unpacking that was killed
    leftover.mkdir()
    with (root / (running.name + ".inuse")).open("a+b") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_SH)  # a copy of that version is running
        done = subprocess.run([str(built_todo.exe), "--version"], env=env, cwd=tmp_path,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert not old.exists(), "an unused old version was kept"
        assert not leftover.exists()
        assert running.exists(), "a version in use was removed"


def test_a_killed_launcher_leaves_no_temporary_folder_behind(built_todo: Built,
                                                             tmp_path: Path) -> None:
    env = private_env(tmp_path / "home")
    tmp = Path(env["TMPDIR"])
    app_tmp = Path(env["XDG_CACHE_HOME"]) / "todo" / "tmp"  # the app's own TMPDIR
    with started(built_todo.exe, ["--headless"], env, tmp_path) as (proc, lines):
        lines.expect("ready: ", timeout=120)
        assert [p.name[:4] for p in tmp.iterdir()] == ["_MEI"]
        os.killpg(proc.pid, signal.SIGKILL)  # no process gets a chance to clean up
        proc.wait()
        assert group_is_gone(proc.pid)
    assert [p.name[:4] for p in tmp.iterdir()] == ["_MEI"]  # what a kill leaves ...
    assert list(app_tmp.iterdir()), "expected the app's own temporary files too"
    done = subprocess.run([str(built_todo.exe), "--version"], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert list(tmp.iterdir()) == [], "... is gone after the next start"
    assert list(app_tmp.iterdir()) == []


def test_two_launches_at_the_same_moment_give_one_server(built_todo: Built,
                                                         tmp_path: Path) -> None:
    env = private_env(tmp_path / "home")
    subprocess.run([str(built_todo.exe), "--version"], env=env, check=True,
                   capture_output=True, timeout=300)  # unpacked, so both start together
    with started(built_todo.exe, ["--headless", "one"], env, tmp_path) as (first, lines1), \
            started(built_todo.exe, ["--headless", "two"], env, tmp_path) as (second, lines2):
        for proc in (first, second):
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                pass
        running = [p for p in (first, second) if p.poll() is None]
        assert len(running) == 1, "both launches kept running"
        gone = first if running[0] is second else second
        assert gone.returncode == 0
        (lines1 if gone is first else lines2).expect("forwarded: ", timeout=5)
        (lines2 if gone is first else lines1).expect("ready: ", timeout=5)
        running[0].send_signal(signal.SIGTERM)
        assert running[0].wait(timeout=15) == 0


@pytest.mark.window
def test_the_window_opens_and_closing_it_exits_0(built_todo: Built, xvfb: str,
                                                 gui_env: dict[str, str],
                                                 tmp_path: Path) -> None:
    env = dict(gui_env, TMPDIR=str(tmp_path))
    with started(built_todo.exe, [], env, tmp_path) as (proc, lines):
        lines.expect("ready: ", timeout=120)
        assert find_window(xvfb, "Todo", timeout=60), "no window appeared"
        assert close_window(xvfb, "Todo")
        assert proc.wait(timeout=20) == 0
        assert group_is_gone(proc.pid), "a process of the app was left running"
        assert wait_window_gone(xvfb, "Todo")
    assert list(tmp_path.glob("_MEI*")) == []
