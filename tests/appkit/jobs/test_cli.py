"""``appkit jobs list|show|cancel|enqueue`` on an app's scheduler database (the per-user
folders are the tests' private XDG folders)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from appkit.cli import main
from appkit.loader import load_app

APP = '''
from appkit import App

app = App("cli-jobs")


@app.task()
def hello(name: str = "world"):
    print(f"saying hello to {name}")
    return {"greeting": f"Hello, {name}!"}
'''


@pytest.fixture
def app_file(tmp_path: Path) -> Iterator[str]:
    path = tmp_path / "cli_jobs.py"
    path.write_text(APP)
    yield str(path)
    for name in [n for n in sys.modules if n.endswith("cli_jobs")]:
        sys.modules.pop(name, None)


def jobs(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["jobs", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_enqueue_list_show_and_cancel(app_file: str,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = jobs(capsys, "enqueue", app_file, "hello", "--inputs", '{"name": "Ada"}')
    assert code == 0 and out.strip() == "queued run 1 of hello"
    code, out, _ = jobs(capsys, "list", app_file)
    assert code == 0
    header, row = out.strip().splitlines()
    assert header.split() == ["ID", "TASK", "STATUS", "PROGRESS", "QUEUED", "TOOK"]
    assert row.split()[:3] == ["1", "hello", "queued"]
    code, out, _ = jobs(capsys, "show", app_file, "1")
    assert code == 0 and "run 1: hello, queued" in out and '{"name": "Ada"}' in out
    code, out, _ = jobs(capsys, "cancel", app_file, "1")
    assert code == 0 and out.strip() == "cancelled run 1"
    code, out, _ = jobs(capsys, "cancel", app_file, "1")
    assert code == 0 and "already finished" in out
    code, out, _ = jobs(capsys, "list", app_file, "--status", "cancelled")
    assert "cancelled" in out
    code, out, _ = jobs(capsys, "list", app_file, "--status", "completed")
    assert out.strip() == "no runs"


def test_a_run_queued_from_the_command_line_runs_in_the_app(
        app_file: str, capsys: pytest.CaptureFixture[str]) -> None:
    jobs(capsys, "enqueue", app_file, "hello", "--inputs", '{"name": "Ada"}')
    app = load_app(app_file)
    app.jobs.start()
    try:
        run = app.jobs.wait(1, timeout=60)
    finally:
        app.jobs.stop()
    assert run.status == "completed"
    code, out, _ = jobs(capsys, "show", app_file, "1")
    assert code == 0
    assert "completed" in out and '"greeting": "Hello, Ada!"' in out
    assert "saying hello to Ada" in out  # the log


@pytest.mark.parametrize("args, message", [
    (["enqueue", "{app}", "nope"], "nope"),
    (["enqueue", "{app}", "hello", "--inputs", "{not json"], "--inputs is not JSON"),
    (["enqueue", "{app}", "hello", "--inputs", "[1, 2]"], "must be a JSON object"),
    (["enqueue", "{app}", "hello", "--inputs", '{"colour": "red"}'], "colour"),
    (["show", "{app}", "99"], "99"),
    (["cancel", "{app}", "99"], "99"),
])
def test_bad_input_is_a_message_and_exit_2(app_file: str, capsys: pytest.CaptureFixture[str],
                                           args: list[str], message: str) -> None:
    code, _, err = jobs(capsys, *[a.replace("{app}", app_file) for a in args])
    assert code == 2
    assert err.startswith("appkit: ") and message in err


def test_an_unknown_status_is_refused(app_file: str,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = jobs(capsys, "list", app_file, "--status", "lost")
    assert code == 2 and "lost" in err


def test_a_plain_asgi_app_has_no_jobs(tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "plain_jobs_asgi.py"
    path.write_text("async def app(scope, receive, send):\n    pass\n")
    code, _, err = jobs(capsys, "list", str(path))
    sys.modules.pop("plain_jobs_asgi", None)
    assert code == 2 and "no app.jobs" in err
