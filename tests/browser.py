"""Layer 2 fixtures (a plugin loaded by tests/conftest.py): a real Chromium (Debian's,
driven by Playwright) against a real server.

Every request to a host other than 127.0.0.1/localhost is blocked and recorded; a test
fails if a page tried one, which proves the pages need no network.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.conftest import missing_dependency

CHROMIUM_CANDIDATES = ("/usr/lib/chromium/chromium", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}


def chromium_path() -> str | None:
    for candidate in CHROMIUM_CANDIDATES:
        if Path(candidate).is_file():
            return candidate
    return shutil.which("chromium")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One Chromium for the whole session."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing_dependency("Playwright is not installed: run `make test` (it installs it)")
    path = chromium_path()
    if path is None:
        missing_dependency("Chromium is not installed: sudo apt-get install chromium")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class BlockedRequests(list[str]):
    """The non-loopback URLs a page tried to load."""


@pytest.fixture
def blocked() -> BlockedRequests:
    return BlockedRequests()


@pytest.fixture
def page(browser: Any, blocked: BlockedRequests) -> Iterator[Any]:
    """A fresh page whose non-loopback requests are blocked and recorded."""
    context = browser.new_context()

    def guard(route: Any) -> None:
        host = urlsplit(route.request.url).hostname or ""
        scheme = urlsplit(route.request.url).scheme
        # *.localhost names are loopback too (the browser resolves them itself): the
        # launch cookie's secret host name is one (shell.guard).
        if scheme in ("data", "blob") or host in LOOPBACK_HOSTS or host.endswith(".localhost"):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()
    assert not blocked, f"The page tried to reach the network: {blocked}"
