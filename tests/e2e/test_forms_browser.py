"""Forms in a real Chromium: a file chosen in a form that sets no ``enctype`` arrives as a
file, whether the browser posts the form or htmx does."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from appkit import App, UploadFile
from appkit.html import Button, Div, Field, Form, P
from appkit.html import Page as HtmlPage

pytestmark = pytest.mark.browser


def uploads_app() -> App:
    app = App("uploads-browser")

    @app.get("/")
    def index() -> Any:
        return HtmlPage(
            "Uploads",
            Form(Field("Plain file", "plain", type="file"), Button("Post it"), method="post",
                 action="/plain"),
            Form(Div(Field("Htmx file", "doc", type="file")), Button("Send it"),
                 hx_post=htmx_upload, hx_target="#out"),
            Div(id="out"),
        )

    @app.post("/plain")
    async def plain(plain: UploadFile) -> Any:
        data = await plain.read()
        return HtmlPage("Received", P(f"{plain.filename}: {len(data)} bytes", id="got"))

    @app.post("/htmx")
    async def htmx_upload(doc: UploadFile) -> Any:
        data = await doc.read()
        return P(f"{doc.filename}: {data.decode()}", id="got")

    return app


@pytest.fixture
def picture(tmp_path: Path) -> Path:
    path = tmp_path / "picture.png"
    path.write_bytes(b"\x89PNG" + bytes(96))
    return path


def test_a_plain_form_without_enctype_uploads_the_file(
        live_server: Callable[[Any], str], page: Page, picture: Path) -> None:
    page.goto(live_server(uploads_app()))
    page.get_by_label("Plain file").set_input_files(str(picture))
    page.get_by_role("button", name="Post it").click()
    expect(page.locator("#got")).to_have_text("picture.png: 100 bytes")


def test_an_htmx_form_without_enctype_uploads_the_file(
        live_server: Callable[[Any], str], page: Page, tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("hello from a file", encoding="utf-8")
    page.goto(live_server(uploads_app()))
    page.get_by_label("Htmx file").set_input_files(str(notes))
    page.get_by_role("button", name="Send it").click()
    expect(page.locator("#out #got")).to_have_text("notes.txt: hello from a file")
