"""Property: whatever a client sends to a handler of any binding type (path, query, headers,
cookies, form, multipart, JSON), appkit answers below 500, logs no ERROR, and still answers
the next request.

The app has a route for every kind of parameter ``appkit.app.binding`` reads, a table (whose
``get`` and ``find`` take ids from the URL) and a static folder.
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, TypedDict

import pytest
from hypothesis import given

from appkit import App, BadRequest, UploadFile
from appkit.testing import Client
from tests.fuzz.harness import FUZZ, Target, integers, mostly, requests


class Color(enum.Enum):
    RED = "red"
    GREEN = "green"


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


@dataclass
class Signup:
    name: str
    age: int
    score: float = 0.0
    newsletter: bool = False
    tags: list[str] = field(default_factory=list)
    color: Color = Color.GREEN
    born: dt.date | None = None


class Filter(TypedDict, total=False):
    q: str
    page: int
    level: Level
    at: dt.datetime


@dataclass
class Row:
    owner: int
    title: str = ""
    id: int | None = None


NAMES = ["s", "i", "f", "b", "d", "day", "at", "color", "level", "ints", "texts", "opt",
         "nums", "anything", "name", "age", "score", "newsletter", "tags", "born", "q",
         "page", "file", "files", "caption", "x_count", "flavour", "owner", "limit",
         "offset", "title", "v"]

ENDPOINTS = [
    "GET /scalars", "POST /scalars", "PUT /scalars", "GET /collections", "POST /collections",
    "GET /signup", "POST /signup", "GET /filter", "POST /filter", "POST /upload",
    "POST /uploads", "GET /sources", "POST /sources", "GET /items/{item_id:int}",
    "GET /names/{name}", "GET /files/{rest:path}", "GET /floats/{x:float}", "GET /rows",
    "POST /rows", "GET /rows/{row_id:int}", "GET /static/{name}", "GET /static/site.css",
    "GET /_appkit/{name}",
]


# Every route, with the methods it answers. Static URLs carry their hash, as appkit makes them.
READS = [
    "GET /scalars", "GET /collections", "GET /signup", "GET /filter", "GET /sources",
    "GET /items/{item_id:int}", "GET /names/{name}", "GET /files/{rest:path}",
    "GET /floats/{x:float}",
]
ROWS = ["GET /rows", "POST /rows", "GET /rows/{row_id:int}"]
STATIC = [
    "GET /static/site.css", "GET /static/{name}", "GET /static/{name}?v={v}",
    "GET /static/{rest:path}?v={v}", "GET /_appkit/appkit.css?v={v}",
    "GET /_appkit/{name}?v={v}",
]
WRITES = [
    "POST /scalars", "PUT /scalars", "POST /collections", "POST /signup", "POST /filter",
    "POST /upload", "POST /uploads", "POST /sources",
]


def make_app(static: Path) -> App:
    app = App("fuzz-binding", static_dir=static)
    rows = app.table_for(Row)

    @app.get("/")
    def index() -> Any:
        return "alive"

    @app.route("/scalars", methods=["GET", "POST", "PUT"])
    def scalars(s: str = "", i: int = 0, f: float = 0.0, b: bool = False,
                d: Decimal = Decimal(0), day: dt.date | None = None,
                at: dt.datetime | None = None, color: Color = Color.RED,
                level: Level | None = None) -> Any:
        return {"got": repr((s, i, f, b, d, day, at, color, level))}

    @app.route("/collections", methods=["GET", "POST"])
    def collections(ints: list[int], texts: list[str], opt: int | None = None,
                    nums: tuple[float, ...] = (), anything: Any = None) -> Any:
        return {"got": repr((ints, texts, opt, nums, anything))[:200]}

    @app.route("/signup", methods=["GET", "POST"])
    def signup(person: Signup) -> Any:
        return {"got": repr(person)[:200]}

    @app.route("/filter", methods=["GET", "POST"])
    def search(query: Filter) -> Any:
        return {"got": repr(query)[:200]}

    @app.post("/upload")
    async def upload(file: UploadFile, caption: str = "") -> Any:
        return {"bytes": len(await file.read()), "caption": caption}

    @app.post("/uploads")
    def uploads(files: list[UploadFile], caption: str | None = None) -> Any:
        return {"count": len(files)}

    @app.route("/sources", methods=["GET", "POST"])
    def sources(x_count: int = 0, flavour: str = "plain", user_agent: str = "") -> Any:
        return {"got": repr((x_count, flavour))}

    @app.get("/items/{item_id:int}")
    def item(item_id: int) -> Any:
        return {"item": item_id}

    @app.get("/names/{name}")
    def name(name: str, level: Level = Level.LOW) -> Any:
        return {"name": name[:100], "level": int(level)}

    @app.get("/files/{rest:path}")
    def files(rest: str) -> Any:
        return {"rest": rest[:100]}

    @app.get("/floats/{x:float}")
    def floats(x: float) -> Any:
        return {"x": repr(x)}

    @app.on_startup
    def some_rows() -> None:
        for owner in (1, 1, 2):
            rows.insert(Row(owner, f"row of {owner}"))

    @app.route("/rows", methods=["GET", "POST"])
    def find_rows(owner: int = 1, limit: int | None = None, offset: int | None = None
                  ) -> Any:
        for label, count in (("limit", limit), ("offset", offset)):
            if count is not None and count < 0:  # find() refuses them: a ValueError
                raise BadRequest(f"{label} must be 0 or more, not {count}")
        return {"rows": len(rows.find(owner=owner, limit=limit, offset=offset))}

    @app.get("/rows/{row_id:int}")
    def get_row(row_id: int) -> Any:
        return {"title": rows.get(row_id).title}

    return app


@pytest.fixture
def target(tmp_path: Path, error_logs: list[logging.LogRecord]) -> Iterator[Target]:
    (tmp_path / "site.css").write_text("body { color: red; }\n")
    with Client(make_app(tmp_path)) as client:
        yield Target(client, error_logs)


# Whole numbers, and numbers past SQLite's 64 bits, for the parameters that reach a table.
NUMBERS = {name: mostly(integers.map(str)) for name in ("owner", "limit", "offset")}


@FUZZ
@given(request=requests(READS, NAMES))
def test_no_path_query_header_or_cookie_is_a_500(target: Target, request: Any) -> None:
    target.check(request)


@FUZZ
@given(request=requests(ROWS, ["owner", "limit", "offset", "row_id"],
                        fields=NUMBERS))
def test_no_id_or_filter_that_reaches_a_table_is_a_500(target: Target, request: Any
                                                        ) -> None:
    target.check(request)


@FUZZ
@given(request=requests(STATIC, ["v"]))
def test_no_static_file_path_is_a_500(target: Target, request: Any) -> None:
    target.check(request)


@FUZZ
@given(request=requests(WRITES, NAMES, bodies=["json"]))
def test_no_json_body_is_a_500(target: Target, request: Any) -> None:
    target.check(request)


@FUZZ
@given(request=requests(WRITES, NAMES, bodies=["form", "multipart", "raw"]))
def test_no_form_multipart_or_raw_body_is_a_500(target: Target, request: Any) -> None:
    target.check(request)
