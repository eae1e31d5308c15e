"""examples/wizard and examples/monitor over plain HTTP (their browser tests are in
tests/e2e/test_views_browser.py): the wizard's steps (its file sent with its first form),
the monitor's daemon and its Stop button; and what the views API does."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from appkit import App, UploadFile
from appkit.html import Button, P
from appkit.live import View
from appkit.loader import load_app
from appkit.testing import Client
from tests.appkit.live.pages import view_answer as answer
from tests.appkit.live.pages import view_id

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
ROUTE = "/_appkit-view"


def _load(name: str) -> Iterator[App]:
    app = load_app(str(EXAMPLES / name))
    assert isinstance(app, App)
    yield app
    for key, module in list(sys.modules.items()):
        if getattr(module, "__file__", None) == str(EXAMPLES / name / "app.py"):
            del sys.modules[key]
    if str(EXAMPLES / name) in sys.path:
        sys.path.remove(str(EXAMPLES / name))


@pytest.fixture
def wizard() -> Iterator[App]:
    yield from _load("wizard")


@pytest.fixture
def monitor() -> Iterator[App]:
    yield from _load("monitor")


def module(app: App) -> Any:
    """The example's module (to change its constants)."""
    return next(m for m in list(sys.modules.values()) if getattr(m, "app", None) is app)




def send_file(client: Client, vid: str, content: bytes | None, name: str = "sales.csv",
              ctype: str = "text/csv", step: int = 1) -> Any:
    """Post the wizard's first form with a file (as a browser does: multipart; ``None``:
    no file chosen, the empty part a browser sends then)."""
    sent = ("", b"", "application/octet-stream") if content is None else (name, content, ctype)
    return client.post(ROUTE, data={"_v": vid, "_s": str(step), "_k": "submit"},
                       files={"file": sent}, headers={"HX-Request": "true"})


def shown(app: App, vid: str) -> str:
    view = app.views._views.get(vid)  # type: ignore[attr-defined]
    return "" if view is None else str(view.render())


def wait_for(check: Callable[[], bool], within: float = 30.0) -> None:
    deadline = time.monotonic() + within
    while not check():
        assert time.monotonic() < deadline, "it did not happen in time"
        time.sleep(0.05)


def test_the_wizard_takes_a_file_asks_imports_and_starts_over(wizard: App) -> None:
    with Client(wizard) as client:
        vid = view_id(client.get("/").text)
        page = shown(wizard, vid)
        assert 'type="file"' in page and 'enctype="multipart/form-data"' in page
        options = send_file(client, vid, b"a;b\n1;2\n3;4\n5;6;7\n")
        assert options.status_code == 200
        assert "2. Options" in options.text and "sales.csv begins with" in options.text
        assert "a;b\n1;2\n3;4</pre>" in options.text
        copies = list((wizard.paths.data / "uploads").iterdir())
        assert len(copies) == 1                                       # for the job
        answer(client, vid, 2, "submit", delimiter=";", header="on", label="May")
        wait_for(lambda: "Imported May" in shown(wizard, vid))
        result = shown(wizard, vid)
        assert '<td id="rows">2</td>' in result and '<td id="skipped">1</td>' in result
        assert "a, b" in result
        assert not copies[0].exists()                                 # deleted once read
        again = answer(client, vid, 3, "0")
        assert "1. Choose a CSV file" in again.text


@pytest.mark.parametrize("content, name, ctype, message", [
    (None, "", "", "Choose a CSV file"),                              # no file chosen
    (b"", "sales.csv", "text/csv", "sales.csv is empty"),
    (b" \n\n", "sales.csv", "text/csv", "sales.csv is empty"),
    (b"\x89PNG\r\n", "me.png", "image/png", "me.png is not a CSV file"),
    (b"\xff\xfe\x00a", "sales.csv", "text/csv", "sales.csv is not a text file in UTF-8"),
    (b"a,\x00b\n", "sales.csv", "text/csv", "sales.csv is not a text file in UTF-8"),
])
def test_the_wizard_refuses_a_file_it_cannot_read_and_waits_on_the_same_step(
        wizard: App, content: bytes | None, name: str, ctype: str, message: str,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="wizard")
    with Client(wizard) as client:
        vid = view_id(client.get("/").text)
        refused = send_file(client, vid, content, name, ctype)
        assert refused.status_code == 422 and message in refused.text
        assert 'aria-invalid="true"' in refused.text and 'type="file"' in refused.text
        assert not list((wizard.paths.data / "uploads").glob("*"))
        assert wizard.views._views[vid].step == 1                    # type: ignore[attr-defined]
        taken = send_file(client, vid, b"a,b\n1,2\n")               # the same step
        assert taken.status_code == 200 and "2. Options" in taken.text
        assert [r.getMessage() for r in caplog.records if r.name == "wizard"] == [
            "step 1: the file", "step 2: the options"]               # nothing ran again


def test_the_wizard_refuses_a_file_over_its_limit_with_413_and_waits(wizard: App) -> None:
    limit = module(wizard).MAX_SIZE
    with Client(wizard) as client:
        vid = view_id(client.get("/").text)
        big = send_file(client, vid, b"a,b\n" + b"1,2\n" * (limit // 4))
        assert big.status_code == 413 and "5 MB" in big.text
        assert wizard.views._views[vid].step == 1                    # type: ignore[attr-defined]
        assert "2. Options" in send_file(client, vid, b"a,b\n1,2\n").text


def test_a_forged_step_or_view_gets_409_or_410_and_the_file_is_closed(wizard: App) -> None:
    opened: list[Any] = []
    real = UploadFile.__init__

    def spy(self: UploadFile, *args: Any, **kwargs: Any) -> None:
        real(self, *args, **kwargs)
        opened.append(self)

    with Client(wizard) as client, pytest.MonkeyPatch.context() as patch:
        patch.setattr(UploadFile, "__init__", spy)
        vid = view_id(client.get("/").text)
        assert send_file(client, vid, b"a,b\n", step=2).status_code == 409
        assert send_file(client, "f" * 24, b"a,b\n").status_code == 410
        assert send_file(client, vid, b"a,b\n", step=-1).status_code == 409
        bad = client.post(ROUTE, data={"_s": "1", "_k": "submit"},
                          files={"_v": ("v.csv", b"x", "text/csv")},
                          headers={"HX-Request": "true"})
        assert bad.status_code == 400
        assert opened and all(f.file.closed for f in opened)
        assert wizard.views._views[vid].step == 1                    # type: ignore[attr-defined]
        assert "2. Options" in send_file(client, vid, b"a,b\n1,2\n").text  # it waited


def test_the_monitor_is_one_per_user_and_stop_only_reaches_ones_own(monitor: App) -> None:
    module(monitor).STEP_TIME = 0.05
    with Client(monitor) as mine, Client(monitor) as theirs:
        vid = view_id(mine.get("/").text)
        assert view_id(mine.get("/").text) == vid                    # the same one
        other = view_id(theirs.get("/").text)
        assert other != vid
        assert "Count: 1" in answer(mine, vid, 1, "0").text
        note = answer(mine, vid, 2, "1")
        assert "<textarea" in note.text
        assert "line one" in answer(mine, vid, 3, "submit", text="line one").text
        assert "Working" in answer(mine, vid, 4, "2").text
        assert answer(theirs, vid, 0, "cancel").status_code == 410   # not their view:
        time.sleep(0.3)
        assert "Working" in shown(monitor, vid)                      # nothing happens
        assert answer(mine, vid, 0, "cancel").status_code == 200     # the Stop button
        wait_for(lambda: "The task stopped after" in shown(monitor, vid))
        assert "Count: 1" in answer(mine, vid, 5, "0").text
        assert "Count: 0" in theirs.get("/").text


# ---- what the views API does (and does not do) --------------------------------------------

@dataclass
class WithFile:
    file: UploadFile | None = field(default=None, metadata={"widget": "file"})


def test_view_job_reports_progress(wizard: App) -> None:
    seen: list[Any] = []
    folder = wizard.paths.data / "uploads"
    folder.mkdir(parents=True)
    (folder / "0123456789abcdef.csv").write_text("a\n1\n", encoding="utf-8")

    @wizard.view("/job")
    async def job(view: View) -> None:
        run_id = wizard.jobs.enqueue("import_csv", {
            "name": "0123456789abcdef.csv", "delimiter": ",", "header": True, "delay": 0})
        run = await view.job(run_id, progress=seen.append)
        await view.click(Button("OK"), show=P(f"ended {run.status}", id="ended"))

    with Client(wizard) as client:
        vid = view_id(client.get("/job").text)
        wait_for(lambda: "ended" in shown(wizard, vid) or "went wrong" in shown(wizard, vid))
        assert "ended completed" in shown(wizard, vid) and seen[-1].progress == 1


def test_a_file_field_reaches_view_submit(wizard: App) -> None:
    got: list[Any] = []

    @wizard.view("/file")
    async def with_file(view: View) -> None:
        got.append(form := await view.submit(WithFile))
        got.append(await form.file.read() if form.file is not None else None)  # open here

    with Client(wizard) as client:
        vid = view_id(client.get("/file").text)
        client.post(ROUTE, data={"_v": vid, "_s": "1", "_k": "submit"},
                    files={"file": ("a.csv", b"a,b\n", "text/csv")},
                    headers={"HX-Request": "true"})
        assert got and got[0].file not in ("", None)
        assert got[0].file.filename == "a.csv" and got[1] == b"a,b\n"
        assert got[0].file.file.closed                     # once the view has ended


def test_a_handler_can_stop_a_waiting_view(monitor: App) -> None:
    @monitor.post("/close/{view_id}")
    async def close(request: Any, view_id: str) -> dict[str, bool]:
        return {"stopped": await monitor.views.stop(view_id, request)}

    with Client(monitor) as client:
        vid = view_id(client.get("/").text)
        assert client.post(f"/close/{vid}").json() == {"stopped": True}
        wait_for(lambda: len(monitor.views) == 0)
