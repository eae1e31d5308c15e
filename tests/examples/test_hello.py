"""examples/hello: the page with its form, and the greeting fragment."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from appkit import App
from appkit.testing import Client

HELLO = Path(__file__).resolve().parents[2] / "examples" / "hello" / "app.py"


def load_example(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


@pytest.fixture(scope="module")
def hello() -> Iterator[ModuleType]:
    module = load_example(HELLO, "_example_hello_under_test")
    yield module
    sys.modules.pop("_example_hello_under_test", None)


@pytest.fixture
def client(hello: ModuleType) -> Iterator[Client]:
    assert isinstance(hello.app, App)
    with Client(hello.app) as client:
        yield client


def test_index_is_a_full_page_with_the_form(client: Client) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    page = response.text
    assert page.startswith("<!doctype html>")
    assert "<title>Hello</title>" in page
    assert "<h1>Hello</h1>" in page
    assert '<form hx-get="/greet" hx-target="#greeting">' in page
    assert '<input name="name" placeholder="Your name">' in page
    assert "<button>Greet</button>" in page
    assert '<div id="greeting"></div>' in page
    assert "/_appkit/vendor/htmx.min.js?v=" in page


def test_greet_by_name(client: Client) -> None:
    response = client.get("/greet", params={"name": "Ann"}, hx=True)
    assert response.status_code == 200
    assert response.text == "<p>Hello, Ann!</p>"


def test_greet_without_htmx_is_a_full_page(client: Client) -> None:
    page = client.get("/greet?name=Ann").text
    assert page.startswith("<!doctype html>")
    assert "<p>Hello, Ann!</p>" in page


@pytest.mark.parametrize("query", ["", "?name="], ids=["no-name", "empty-name"])
def test_greet_defaults_to_world(client: Client, query: str) -> None:
    assert client.get(f"/greet{query}", hx=True).text == "<p>Hello, world!</p>"


def test_greet_escapes_the_name(client: Client) -> None:
    response = client.get("/greet", params={"name": "<script>x</script> & co"}, hx=True)
    assert response.text == "<p>Hello, &lt;script&gt;x&lt;/script&gt; &amp; co!</p>"


def test_greet_unicode_name(client: Client) -> None:
    assert client.get("/greet", params={"name": "Zoë"}, hx=True).text == "<p>Hello, Zoë!</p>"


def test_unknown_page_is_404(client: Client) -> None:
    assert client.get("/nope").status_code == 404
