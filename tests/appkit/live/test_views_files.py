"""A view's form with a file input: the page posts it over HTTP (multipart) to the view
route, ``view.submit`` returns the model with the ``UploadFile`` in it, open for the view's
code until its next wait; bad input gets the form's error or a 4xx, never a 500 and never a
re-run."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any

import pytest

from appkit import App, UploadFile
from appkit.app.forms import FormField
from appkit.html import H2, Element, Input, P
from appkit.live import View
from appkit.testing import Client
from tests.appkit.live.pages import live_client, spy_uploads, view_id, wait_until
from tests.appkit.live.test_views import open_view, until_reply

ROUTE = "/_appkit-view"
LIMIT = 4096


@dataclass
class Upload:
    file: UploadFile = field(metadata={"widget": "file"})
    note: str = ""


class Shout:
    """A field kind that reads text only (it would fail on a file)."""

    multiple = False

    def check_type(self, tp: Any, where: str) -> None:
        pass

    def read(self, raw: Any, field: FormField) -> str:
        return str(raw.upper()) if raw else ""

    def control(self, field: FormField, value: Any, error: str | None,
                attrs: Mapping[str, Any]) -> Element:
        return Input(name=field.name, value=value or "")


@dataclass
class Shouted:
    file: UploadFile = field(metadata={"widget": "file"})
    word: Annotated[str, Shout()] = ""


def make_app() -> tuple[App, dict[str, list[Any]]]:
    app = App("view-files", max_body_size=LIMIT)
    seen: dict[str, list[Any]] = {"ran": [], "got": [], "files": []}

    @app.view("/")
    async def upload(view: View) -> None:
        seen["ran"].append("asked")
        sent = await view.submit(Upload, show=H2("Send a file"))
        seen["files"].append(sent.file)
        await view.sleep(0.05)                  # still open after the answer went out
        seen["got"].append((sent.file.filename, await sent.file.read(), sent.note))
        await view.submit(Upload, show=P("Another?", id="another"))
        seen["ran"].append("again")

    @app.view("/shout")
    async def shout(view: View) -> None:
        sent = await view.submit(Shouted)
        seen["got"].append((sent.file.filename, sent.word))
        await view.submit(Shouted)

    return app, seen


def send(client: Client, vid: str, step: Any = 1, files: Any = None, **data: Any) -> Any:
    return client.post(ROUTE, data={"_v": vid, "_s": str(step), "_k": "submit", **data},
                       files=files, headers={"HX-Request": "true"})


def shown(app: App, vid: str) -> str:
    return str(app.views._views[vid].render())  # type: ignore[attr-defined]


def test_a_file_reaches_submit_and_is_open_until_the_views_next_wait() -> None:
    app, seen = make_app()
    with Client(app) as client:
        page = client.get("/")
        vid = view_id(page.text)
        assert 'enctype="multipart/form-data"' in page.text
        assert 'hx-encoding="multipart/form-data"' in page.text
        sent = send(client, vid, files={"file": ("a.csv", b"a,b\n1,2\n", "text/csv")},
                    note="hi")
        assert sent.status_code == 200                            # (at the sleep)
        assert wait_until(lambda: 'id="another"' in shown(app, vid))
        assert seen["got"] == [("a.csv", b"a,b\n1,2\n", "hi")]   # read after a sleep
        assert seen["files"][0].file.closed                       # the next wait closed it
        assert seen["ran"] == ["asked"]


BAD = [
    # (what is sent, status, what the page shows)
    ({"files": {"file": ("", b"", "application/octet-stream")}}, 422, "Required"),  # none
    ({}, 422, "Required"),                                         # no part at all
    ({"file": "a,b"}, 422, "Not a valid file upload"),             # text, not a file
    ({"files": {"note": ("n.txt", b"x", "text/plain")}}, 422, "Required"),  # wrong field
    ({"step": 2, "files": {"file": ("a.csv", b"a", "text/csv")}}, 409, "answered already"),
    ({"step": "x", "files": {"file": ("a.csv", b"a", "text/csv")}}, 400, "whole number"),
    ({"vid": "f" * 24, "files": {"file": ("a.csv", b"a", "text/csv")}}, 410, "ended"),
    ({"files": {"_v": ("v", b"x", "text/plain")}}, 400, "names its view"),
    ({"files": {"file": ("big.csv", b"x" * LIMIT, "text/csv")}}, 413, "larger than"),
]


@pytest.mark.parametrize("bad, status, message", BAD)
def test_bad_file_events_get_the_forms_error_or_a_4xx_and_the_view_waits_still(
        bad: dict[str, Any], status: int, message: str) -> None:
    app, seen = make_app()
    with Client(app) as client:
        vid = view_id(client.get("/").text)
        bad = dict(bad)
        target = bad.pop("vid", vid)
        data = {"_v": target, "_s": str(bad.pop("step", 1)), "_k": "submit", **bad}
        files = data.pop("files", None)
        if files and "_v" in files:
            del data["_v"]
        refused = client.post(ROUTE, data=data, files=files, headers={"HX-Request": "true"})
        assert refused.status_code == status and message in refused.text
        view = app.views._views[vid]  # type: ignore[attr-defined]
        assert view.step == 1 and view.state == "running" and seen["ran"] == ["asked"]
        taken = send(client, vid, files={"file": ("a.csv", b"a,b\n", "text/csv")})
        assert taken.status_code == 200
        assert wait_until(lambda: seen["got"] == [("a.csv", b"a,b\n", "")])
        assert seen["ran"] == ["asked"]                          # nothing ran again


def test_a_text_sent_over_the_socket_for_a_file_field_shows_the_forms_error() -> None:
    app, seen = make_app()
    with live_client(app) as client:
        _, ws, vid = open_view(client, "/")
        ws.send_text(json.dumps({"t": "ev", "ref": 1, "route": ROUTE, "d": {
            "_v": vid, "_s": 1, "_k": "submit", "file": "a,b", "note": "x"}}))
        assert until_reply(ws, 1)[-1]["ok"] is True
        assert "Not a valid file upload" in shown(app, vid)
        taken = send(client, vid, files={"file": ("a.csv", b"a,b\n", "text/csv")})
        assert taken.status_code == 200
        assert wait_until(lambda: seen["got"] == [("a.csv", b"a,b\n", "")])


def test_a_file_reaches_only_a_field_the_form_shows_as_a_file_input() -> None:
    app, seen = make_app()
    with Client(app) as client:
        vid = view_id(client.get("/shout").text)
        sent = send(client, vid, files=[("file", ("a.csv", b"a", "text/csv")),
                                        ("word", ("w.txt", b"hey", "text/plain"))])
        assert sent.status_code == 200 and seen["got"] == [("a.csv", "")]
        vid = view_id(client.get("/shout").text)
        sent = send(client, vid, files={"file": ("b.csv", b"b", "text/csv")}, word="hey")
        assert sent.status_code == 200 and seen["got"][-1] == ("b.csv", "HEY")


def test_the_files_of_a_refused_event_and_of_an_ended_view_are_closed() -> None:
    app, seen = make_app()
    with Client(app) as client, pytest.MonkeyPatch.context() as patch:
        opened = spy_uploads(patch)
        vid = view_id(client.get("/").text)
        assert send(client, vid, 5, files={"file": ("a.csv", b"a", "text/csv")}
                    ).status_code == 409
        assert opened and all(f.file.closed for f in opened)
        assert send(client, vid, files={"file": ("a.csv", b"a", "text/csv")}
                    ).status_code == 200
        assert wait_until(lambda: 'id="another"' in shown(app, vid))
        held = seen["files"][0]
        assert send(client, vid, 2, files={"file": ("b.csv", b"b", "text/csv")}
                    ).status_code == 200
        assert seen["ran"] == ["asked", "again"]                  # the view has ended
        assert held.file.closed and all(f.file.closed for f in opened)


def test_a_file_without_the_csrf_token_or_from_another_user_is_refused() -> None:
    app, seen = make_app()
    with Client(app) as client, Client(app) as other:
        vid = view_id(client.get("/").text)
        other.get("/")
        files = {"file": ("a.csv", b"a,b\n", "text/csv")}
        forged = client.post(ROUTE, data={"_v": vid, "_s": "1", "_k": "submit"}, files=files,
                             headers={"HX-Request": "true"}, csrf=False)
        assert forged.status_code == 403
        assert send(other, vid, files=files).status_code == 410      # not their view
        assert app.views._views[vid].step == 1  # type: ignore[attr-defined]
        assert send(client, vid, files=files).status_code == 200
        assert wait_until(lambda: seen["got"] == [("a.csv", b"a,b\n", "")])
