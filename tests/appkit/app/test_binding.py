"""appkit.app.binding: handler parameters read from the path, query, body, cookies and
headers; conversions; models; special parameters; signature errors at decoration time."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Optional, TypedDict  # noqa: UP035

import pytest
from starlette.requests import Request

from appkit import App, ConfigurationError, HtmxDetails, ResponseParts, UploadFile
from appkit.testing import Client

JSON = {"Accept": "application/json"}


def error_of(response: Any) -> str:
    """The message of a JSON error answer."""
    body = response.json()
    assert set(body) == {"error", "status"}
    assert body["status"] == response.status_code
    return str(body["error"])


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
    newsletter: bool = False
    tags: list[str] = field(default_factory=list)
    color: Color = Color.GREEN


class Filter(TypedDict, total=False):
    q: str
    page: int


class Point(TypedDict):
    x: int
    y: int


class Plain:
    """Not something appkit can read from a request."""


# ---- where values come from -------------------------------------------------------------------


def test_path_param_with_int_convertor() -> None:
    app = App("t")

    @app.get("/items/{id:int}")
    def item(id: int) -> dict[str, Any]:
        return {"id": id, "type": type(id).__name__}

    with Client(app) as client:
        assert client.get("/items/42").json() == {"id": 42, "type": "int"}
        assert client.get("/items/abc").status_code == 404


def test_path_param_converted_by_annotation() -> None:
    app = App("t")

    @app.get("/items/{id}")
    def item(id: int) -> dict[str, Any]:
        return {"id": id, "type": type(id).__name__}

    with Client(app) as client:
        assert client.get("/items/7").json() == {"id": 7, "type": "int"}
        bad = client.get("/items/seven", headers=JSON)
        assert bad.status_code == 400
        assert error_of(bad) == "Invalid value for field 'id': 'seven' is not a valid whole number"


def test_unannotated_path_param_is_text() -> None:
    app = App("t")

    @app.get("/users/{slug}")
    def user(slug) -> dict[str, Any]:  # type: ignore[no-untyped-def]
        return {"slug": slug, "type": type(slug).__name__}

    with Client(app) as client:
        assert client.get("/users/ada-l").json() == {"slug": "ada-l", "type": "str"}


def test_query_param() -> None:
    app = App("t")

    @app.get("/search")
    def search(q: str, page: int = 1) -> dict[str, Any]:
        return {"q": q, "page": page}

    with Client(app) as client:
        assert client.get("/search?q=milk&page=3").json() == {"q": "milk", "page": 3}
        assert client.get("/search?q=eggs").json() == {"q": "eggs", "page": 1}


def test_form_fields() -> None:
    app = App("t")

    @app.post("/todos")
    def add(title: str, done: bool, priority: int = 0) -> dict[str, Any]:
        return {"title": title, "done": done, "priority": priority}

    with Client(app) as client:
        response = client.post("/todos", data={"title": "Milk", "done": "on", "priority": "2"})
        assert response.json() == {"title": "Milk", "done": True, "priority": 2}


def test_json_body_fields() -> None:
    app = App("t")

    @app.post("/todos")
    def add(title: str, priority: int, done: bool = False) -> dict[str, Any]:
        return {"title": title, "priority": priority, "done": done}

    with Client(app) as client:
        response = client.post("/todos", json={"title": "Milk", "priority": 5, "done": True})
        assert response.json() == {"title": "Milk", "priority": 5, "done": True}


def test_headers_by_name_with_underscores_as_dashes() -> None:
    app = App("t")

    @app.get("/h")
    def headers(user_agent: str, x_request_id: str = "none") -> dict[str, Any]:
        return {"ua": user_agent, "rid": x_request_id}

    with Client(app) as client:
        assert client.get("/h").json() == {"ua": "testclient", "rid": "none"}
        response = client.get("/h", headers={"User-Agent": "Probe/1.0", "X-Request-Id": "r-77"})
        assert response.json() == {"ua": "Probe/1.0", "rid": "r-77"}


def test_cookie() -> None:
    app = App("t")

    @app.get("/c")
    def cookie(session: str) -> dict[str, Any]:
        return {"session": session}

    with Client(app) as client:
        assert client.get("/c", headers={"Cookie": "session=abc123"}).json() == {
            "session": "abc123"}


def test_precedence_path_over_query() -> None:
    app = App("t")

    @app.post("/items/{id}")
    def item(id: str) -> dict[str, Any]:
        return {"id": id}

    with Client(app) as client:
        response = client.post("/items/from-path?id=from-query", data={"id": "from-body"},
                               headers={"Cookie": "id=from-cookie", "Id": "from-header"})
        assert response.json() == {"id": "from-path"}


def test_precedence_query_body_cookie_header() -> None:
    app = App("t")

    @app.post("/p")
    def p(token: str) -> dict[str, Any]:
        return {"token": token}

    cookie = {"Cookie": "token=from-cookie", "Token": "from-header"}
    with Client(app) as client:
        assert client.post("/p?token=from-query", data={"token": "from-body"},
                           headers=cookie).json() == {"token": "from-query"}
        assert client.post("/p", data={"token": "from-body"},
                           headers=cookie).json() == {"token": "from-body"}
        assert client.post("/p", json={"token": "from-json"},
                           headers=cookie).json() == {"token": "from-json"}
        assert client.post("/p", headers=cookie).json() == {"token": "from-cookie"}
        assert client.post("/p", headers={"Token": "from-header"}).json() == {
            "token": "from-header"}


# ---- conversions ------------------------------------------------------------------------------


def _typed_app() -> App:
    app = App("t")

    @app.get("/int")
    def as_int(v: int) -> dict[str, Any]:
        return {"v": repr(v)}

    @app.get("/float")
    def as_float(v: float) -> dict[str, Any]:
        return {"v": repr(v)}

    @app.get("/bool")
    def as_bool(v: bool) -> dict[str, Any]:
        return {"v": repr(v)}

    @app.get("/str")
    def as_str(v: str) -> dict[str, Any]:
        return {"v": repr(v)}

    @app.get("/decimal")
    def as_decimal(v: Decimal) -> dict[str, Any]:
        return {"v": repr(v)}

    @app.get("/date")
    def as_date(v: dt.date) -> dict[str, Any]:
        return {"v": repr(v)}

    @app.get("/datetime")
    def as_datetime(v: dt.datetime) -> dict[str, Any]:
        return {"v": repr(v)}

    @app.get("/enum")
    def as_enum(v: Color) -> dict[str, Any]:
        return {"v": repr(v)}

    @app.get("/intenum")
    def as_intenum(v: Level) -> dict[str, Any]:
        return {"v": repr(v)}

    return app


@pytest.mark.parametrize(("path", "raw", "expected"), [
    ("/int", "42", "42"),
    ("/int", "-3", "-3"),
    ("/float", "2.5", "2.5"),
    ("/float", "3", "3.0"),
    ("/str", "<b>hi</b>", "'<b>hi</b>'"),
    ("/decimal", "1.10", "Decimal('1.10')"),
    ("/date", "2024-02-29", "datetime.date(2024, 2, 29)"),
    ("/datetime", "2024-02-29T13:45", "datetime.datetime(2024, 2, 29, 13, 45)"),
    ("/enum", "red", "<Color.RED: 'red'>"),
    ("/enum", "GREEN", "<Color.GREEN: 'green'>"),
    ("/intenum", "2", "<Level.HIGH: 2>"),
    ("/intenum", "LOW", "<Level.LOW: 1>"),
])
def test_scalar_conversions(path: str, raw: str, expected: str) -> None:
    with Client(_typed_app()) as client:
        response = client.get(path, params={"v": raw})
        assert response.status_code == 200, response.text
        assert response.json() == {"v": expected}


@pytest.mark.parametrize(("raw", "expected"), [
    ("true", True), ("TRUE", True), ("1", True), ("on", True), ("On", True), ("yes", True),
    ("YES", True), ("false", False), ("False", False), ("0", False), ("off", False),
    ("OFF", False), ("no", False), ("No", False),
])
def test_bool_words(raw: str, expected: bool) -> None:
    with Client(_typed_app()) as client:
        assert client.get("/bool", params={"v": raw}).json() == {"v": repr(expected)}


def test_missing_bool_is_false() -> None:
    with Client(_typed_app()) as client:
        assert client.get("/bool").json() == {"v": "False"}


@pytest.mark.parametrize(("path", "raw", "type_name"), [
    ("/int", "4.5", "whole number"),
    ("/float", "lots", "number"),
    ("/bool", "maybe", "boolean (true/false, on/off, yes/no, 1/0)"),
    ("/decimal", "1,5", "decimal number"),
    ("/date", "29/02/2024", "date (YYYY-MM-DD)"),
    ("/datetime", "tomorrow", "date and time (YYYY-MM-DDTHH:MM)"),
    ("/enum", "blue", "Color (one of: red, green)"),
])
def test_bad_conversion_names_field_value_and_type(path: str, raw: str, type_name: str
                                                   ) -> None:
    with Client(_typed_app()) as client:
        response = client.get(path, params={"v": raw}, headers=JSON)
        assert response.status_code == 400
        assert error_of(response) == (
            f"Invalid value for field 'v': {raw!r} is not a valid {type_name}")


def test_bad_conversion_message_on_the_html_page() -> None:
    with Client(_typed_app()) as client:
        response = client.get("/int?v=ten")
        assert response.status_code == 400
        assert "<h1>Bad request</h1>" in response.text
        assert "Invalid value for field 'v': 'ten' is not a valid whole number" in response.text


def test_missing_required_field_is_400_with_exact_message() -> None:
    with Client(_typed_app()) as client:
        response = client.get("/int", headers=JSON)
        assert response.status_code == 400
        assert response.json() == {"error": "Missing required field: v", "status": 400}
        assert client.get("/str", headers=JSON).json()["error"] == "Missing required field: v"


def test_empty_string_for_int_is_missing() -> None:
    app = App("t")

    @app.get("/req")
    def required(n: int) -> dict[str, Any]:
        return {"n": n}

    @app.get("/opt")
    def defaulted(n: int = 9) -> dict[str, Any]:
        return {"n": n}

    with Client(app) as client:
        response = client.get("/req?n=", headers=JSON)
        assert response.status_code == 400
        assert error_of(response) == "Missing required field: n"
        assert client.get("/opt?n=").json() == {"n": 9}


def test_empty_string_for_str_is_kept() -> None:
    with Client(_typed_app()) as client:
        assert client.get("/str?v=").json() == {"v": "''"}


def test_optional_and_union_none() -> None:
    app = App("t")

    @app.get("/o")
    def o(a: Optional[int],  # noqa: UP045 (typing.Union, not types.UnionType)
          b: int | None, c: str | None = None) -> dict[str, Any]:
        return {"a": a, "b": b, "c": c}

    with Client(app) as client:
        assert client.get("/o").json() == {"a": None, "b": None, "c": None}
        assert client.get("/o?a=1&b=2&c=x").json() == {"a": 1, "b": 2, "c": "x"}
        assert client.get("/o?a=&b=").json() == {"a": None, "b": None, "c": None}
        bad = client.get("/o?b=zz", headers=JSON)
        assert bad.status_code == 400
        assert error_of(bad) == "Invalid value for field 'b': 'zz' is not a valid whole number"


def test_optional_from_json_null() -> None:
    app = App("t")

    @app.post("/o")
    def o(n: int | None = 5) -> dict[str, Any]:
        return {"n": n}

    with Client(app) as client:
        assert client.post("/o", json={"n": None}).json() == {"n": None}
        assert client.post("/o", json={}).json() == {"n": 5}


def test_json_null_for_required_str_is_not_the_text_none() -> None:
    """A JSON null for a plain ``str`` parameter must not arrive as the string 'None'."""
    app = App("t")

    @app.post("/s")
    def s(name: str) -> dict[str, Any]:
        return {"name": name}

    with Client(app) as client:
        response = client.post("/s", json={"name": None}, headers=JSON)
        assert response.status_code == 400, response.text
        assert error_of(response) == "Missing required field: name"


def test_list_from_repeated_query_keys() -> None:
    app = App("t")

    @app.get("/l")
    def tags(tag: list[str], n: list[int]) -> dict[str, Any]:
        return {"tag": tag, "n": n}

    with Client(app) as client:
        assert client.get("/l?tag=a&tag=b&n=1&n=2&n=3").json() == {
            "tag": ["a", "b"], "n": [1, 2, 3]}
        assert client.get("/l?tag=solo").json() == {"tag": ["solo"], "n": []}
        assert client.get("/l").json() == {"tag": [], "n": []}
        bad = client.get("/l?n=1&n=x", headers=JSON)
        assert bad.status_code == 400
        assert error_of(bad) == "Invalid value for field 'n': 'x' is not a valid whole number"


def test_list_from_repeated_form_keys_and_json_array() -> None:
    app = App("t")

    @app.post("/l")
    def ids(id: list[int]) -> dict[str, Any]:
        return {"id": id}

    with Client(app) as client:
        assert client.post("/l", data={"id": ["3", "1", "2"]}).json() == {"id": [3, 1, 2]}
        assert client.post("/l", json={"id": [4, "5"]}).json() == {"id": [4, 5]}


# ---- models -----------------------------------------------------------------------------------


def _model_app() -> App:
    app = App("t")

    @app.post("/signup")
    def signup(form: Signup) -> dict[str, Any]:
        return {"name": form.name, "age": form.age, "newsletter": form.newsletter,
                "tags": form.tags, "color": form.color.name, "cls": type(form).__name__}

    @app.get("/filter")
    def filter_(f: Filter) -> dict[str, Any]:
        return {"f": f, "cls": type(f).__name__}

    @app.post("/point")
    def point(p: Point) -> dict[str, Any]:
        return {"p": p}

    return app


def test_dataclass_from_whole_form() -> None:
    with Client(_model_app()) as client:
        response = client.post("/signup", data={
            "name": "Ada", "age": "36", "newsletter": "on", "tags": ["x", "y"], "color": "red"})
        assert response.json() == {"name": "Ada", "age": 36, "newsletter": True,
                                   "tags": ["x", "y"], "color": "RED", "cls": "Signup"}


def test_dataclass_from_form_uses_class_defaults() -> None:
    with Client(_model_app()) as client:
        response = client.post("/signup", data={"name": "Bo", "age": "7"})
        assert response.json() == {"name": "Bo", "age": 7, "newsletter": False, "tags": [],
                                   "color": "GREEN", "cls": "Signup"}


def test_dataclass_from_json_with_defaults() -> None:
    with Client(_model_app()) as client:
        response = client.post("/signup", json={"name": "Cy", "age": 20, "tags": ["a"]})
        assert response.json() == {"name": "Cy", "age": 20, "newsletter": False,
                                   "tags": ["a"], "color": "GREEN", "cls": "Signup"}


def test_dataclass_missing_required_field() -> None:
    with Client(_model_app()) as client:
        response = client.post("/signup", json={"name": "Cy"}, headers=JSON)
        assert response.status_code == 400
        assert error_of(response) == "Missing required field: age"
        response = client.post("/signup", data={"age": "3"}, headers=JSON)
        assert response.status_code == 400
        assert error_of(response) == "Missing required field: name"


def test_dataclass_bad_field_value() -> None:
    with Client(_model_app()) as client:
        response = client.post("/signup", data={"name": "A", "age": "old"}, headers=JSON)
        assert response.status_code == 400
        assert error_of(response) == (
            "Invalid value for field 'age': 'old' is not a valid whole number")


def test_typeddict_from_query_on_get() -> None:
    with Client(_model_app()) as client:
        assert client.get("/filter?q=milk&page=2").json() == {
            "f": {"q": "milk", "page": 2}, "cls": "dict"}
        assert client.get("/filter?q=eggs").json() == {"f": {"q": "eggs"}, "cls": "dict"}


def test_typeddict_required_keys_from_json() -> None:
    with Client(_model_app()) as client:
        assert client.post("/point", json={"x": 1, "y": "2"}).json() == {"p": {"x": 1, "y": 2}}
        response = client.post("/point", json={"x": 1}, headers=JSON)
        assert response.status_code == 400
        assert error_of(response) == "Missing required field: y"


# ---- uploads ----------------------------------------------------------------------------------


# Uploads are checked for content here; whether their temporary files are closed is the
# next test's business (otherwise each upload test would fail on the same leak).
@pytest.mark.filterwarnings("ignore::ResourceWarning",
                            "ignore::pytest.PytestUnraisableExceptionWarning")
def test_upload_file_multipart() -> None:
    app = App("t")

    @app.post("/upload")
    async def upload(file: UploadFile, note: str = "") -> dict[str, Any]:
        data = await file.read()
        return {"filename": file.filename, "content": data.decode(), "note": note,
                "type": file.content_type}

    with Client(app) as client:
        response = client.post(
            "/upload", files={"file": ("notes.txt", b"hello \xe2\x9c\x93", "text/plain")},
            data={"note": "first"})
        assert response.status_code == 200, response.text
        assert response.json() == {"filename": "notes.txt", "content": "hello \u2713",
                                   "note": "first", "type": "text/plain"}


def test_upload_temporary_files_are_closed_after_the_request() -> None:
    """The form's spooled temporary files are closed once the request is answered (the
    binder reads the form, so the app must close it: Starlette only does that for
    ``async with request.form()``)."""
    app = App("t")
    seen: list[UploadFile] = []

    @app.post("/upload")
    def upload(file: UploadFile) -> str:
        seen.append(file)
        return "ok"

    with Client(app) as client:
        response = client.post("/upload", files={"file": ("a.txt", b"abc", "text/plain")})
    try:
        assert response.text == "ok"
        assert len(seen) == 1
        assert seen[0].file.closed, "the upload's temporary file is still open"
    finally:
        for upload_file in seen:
            upload_file.file.close()


def test_upload_file_missing_or_text_is_400() -> None:
    app = App("t")

    @app.post("/upload")
    def upload(file: UploadFile) -> dict[str, Any]:
        return {"filename": file.filename}

    with Client(app) as client:
        missing = client.post("/upload", data={"other": "x"}, headers=JSON)
        assert missing.status_code == 400
        assert error_of(missing) == "Missing required field: file"
        text = client.post("/upload", data={"file": "not a file"}, headers=JSON)
        assert text.status_code == 400
        assert error_of(text) == (
            "Invalid value for field 'file': 'not a file' is not a valid file upload")


# ---- bodies that cannot be read ---------------------------------------------------------------


def test_invalid_json_body_is_400() -> None:
    app = App("t")

    @app.post("/j")
    def j(name: str = "x") -> dict[str, Any]:
        return {"name": name}

    with Client(app) as client:
        response = client.post("/j", content=b'{"name": ', headers={
            "Content-Type": "application/json", **JSON})
        assert response.status_code == 400
        assert error_of(response).startswith("The request body is not valid JSON: ")


def test_json_list_body_is_400() -> None:
    app = App("t")

    @app.post("/j")
    def j(name: str = "x") -> dict[str, Any]:
        return {"name": name}

    with Client(app) as client:
        response = client.post("/j", json=[{"name": "a"}], headers=JSON)
        assert response.status_code == 400
        assert error_of(response) == (
            "The JSON body must be an object with named fields, not a list")


@pytest.mark.parametrize("kind", ["[", '{"a":'])
def test_json_nested_past_the_limit_is_a_400_that_names_it(kind: str) -> None:
    app = App("t")

    @app.post("/j")
    def j(value: Any = None) -> dict[str, Any]:
        return {"type": type(value).__name__}

    def body(depth: int) -> bytes:
        """``{"value": ...}`` nesting ``depth`` levels in all (the object is the first)."""
        close = "]" if kind == "[" else "}"
        inner = kind * (depth - 1) + ("" if kind == "[" else "1") + close * (depth - 1)
        return f'{{"value": {inner}}}'.encode()

    with Client(app) as client:
        headers = {"Content-Type": "application/json", **JSON}
        assert client.post("/j", content=body(100), headers=headers).status_code == 200
        for depth in (101, 100_000):  # past the limit; past Python's recursion limit
            response = client.post("/j", content=body(depth), headers=headers)
            assert response.status_code == 400
            assert error_of(response) == (
                "The request body is JSON nested more than 100 levels deep (arrays and "
                "objects inside each other): send flatter data")




def test_request_and_app_parameters() -> None:
    app = App("special")

    @app.get("/s")
    def s(request, app, req: Request) -> dict[str, Any]:  # type: ignore[no-untyped-def]
        return {"path": request.url.path, "same": request is req,
                "app": app.name, "is_app": isinstance(app, App)}

    with Client(app) as client:
        assert client.get("/s").json() == {"path": "/s", "same": True, "app": "special",
                                           "is_app": True}


def test_htmx_parameter_falsy_without_hx_request() -> None:
    app = App("t")

    @app.get("/h")
    def h(htmx: HtmxDetails) -> dict[str, Any]:
        return {"is": bool(htmx), "target": htmx.target, "trigger": htmx.trigger,
                "boosted": htmx.boosted, "url": htmx.current_url}

    with Client(app) as client:
        assert client.get("/h").json() == {"is": False, "target": None, "trigger": None,
                                           "boosted": False, "url": None}


def test_htmx_parameter_with_hx_request() -> None:
    app = App("t")

    @app.get("/h")
    def h(htmx) -> dict[str, Any]:  # type: ignore[no-untyped-def]
        return {"is": bool(htmx), "target": htmx.target, "trigger": htmx.trigger,
                "boosted": htmx.boosted, "url": htmx.current_url}

    with Client(app) as client:
        response = client.get("/h", hx=True, hx_target="list", hx_trigger="more",
                              headers={"HX-Boosted": "true"})
        assert response.json() == {"is": True, "target": "list", "trigger": "more",
                                   "boosted": True, "url": "http://127.0.0.1:8000"}
        plain = client.get("/h", hx=True).json()
        assert plain["is"] is True
        assert plain["boosted"] is False
        assert plain["target"] is None


def test_htmx_current_url_auto_encoded() -> None:
    app = App("t")

    @app.get("/h")
    def h(htmx: HtmxDetails) -> dict[str, Any]:
        return {"url": htmx.current_url}

    with Client(app) as client:
        response = client.get("/h", headers={
            "HX-Request": "true", "HX-Current-URL": "http://x/caf%C3%A9",
            "HX-Current-URL-URI-AutoEncoded": "true"})
        assert response.json() == {"url": "http://x/caf\u00e9"}


def test_response_parameter_sets_header_cookie_and_status() -> None:
    app = App("t")

    @app.post("/items")
    def create(title: str, response: ResponseParts) -> dict[str, Any]:
        response.status_code = 201
        response.headers["X-Created"] = title
        response.set_cookie("last", title)
        return {"title": title}

    with Client(app) as client:
        result = client.post("/items", data={"title": "Milk"})
        assert result.status_code == 201
        assert result.json() == {"title": "Milk"}
        assert result.headers["x-created"] == "Milk"
        assert result.headers["content-type"] == "application/json"
        assert "last=Milk" in result.headers["set-cookie"]


def test_unannotated_response_parameter_by_name() -> None:
    app = App("t")

    @app.get("/r")
    def r(response) -> str:  # type: ignore[no-untyped-def]
        response.status_code = 202
        return "accepted"

    with Client(app) as client:
        result = client.get("/r")
        assert result.status_code == 202
        assert result.text == "accepted"


# ---- signature errors at decoration time ------------------------------------------------------


def test_unannotated_unknown_parameter_is_configuration_error() -> None:
    app = App("t")
    with pytest.raises(ConfigurationError, match=r"parameter 'mystery' .*no type annotation"):
        @app.get("/x")
        def x(mystery):  # type: ignore[no-untyped-def]
            return mystery


def test_unannotated_parameter_with_none_default_is_configuration_error() -> None:
    app = App("t")
    with pytest.raises(ConfigurationError, match="no type annotation"):
        @app.get("/x")
        def x(q=None):  # type: ignore[no-untyped-def]
            return q


def test_var_positional_is_configuration_error() -> None:
    app = App("t")
    with pytest.raises(ConfigurationError, match=r"takes \*args"):
        @app.get("/x")
        def x(*args: str) -> None:
            return None


def test_var_keyword_is_configuration_error() -> None:
    app = App("t")
    with pytest.raises(ConfigurationError, match=r"takes \*kwargs"):
        @app.get("/x")
        def x(**kwargs: str) -> None:
            return None


def test_unsupported_annotation_is_configuration_error() -> None:
    app = App("t")
    with pytest.raises(ConfigurationError, match="cannot read from a request: .*Plain"):
        @app.get("/x")
        def x(thing: Plain) -> None:
            return None


def test_union_of_two_types_is_configuration_error() -> None:
    app = App("t")
    with pytest.raises(ConfigurationError, match="union type"):
        @app.get("/x")
        def x(v: int | str) -> None:
            return None


def test_bad_signature_in_router_fails_at_include() -> None:
    from appkit import Router

    router = Router("/r")

    @router.get("/x")
    def x(mystery):  # type: ignore[no-untyped-def]
        return mystery

    app = App("t")
    with pytest.raises(ConfigurationError, match="no type annotation"):
        app.include(router)


def test_default_value_infers_the_type() -> None:
    app = App("t")

    @app.get("/x")
    def x(q=5, flag=False, word="hi"):  # type: ignore[no-untyped-def]
        return {"q": q, "q_type": type(q).__name__, "flag": flag, "word": word}

    with Client(app) as client:
        assert client.get("/x").json() == {"q": 5, "q_type": "int", "flag": False,
                                           "word": "hi"}
        assert client.get("/x?q=12&flag=yes&word=yo").json() == {
            "q": 12, "q_type": "int", "flag": True, "word": "yo"}
        bad = client.get("/x?q=many", headers=JSON)
        assert bad.status_code == 400
        assert error_of(bad) == "Invalid value for field 'q': 'many' is not a valid whole number"
