"""Browser mode as a real process: ``appkit run --browser`` (with and without reload) and
``App.run(backend="browser")`` open the app in the system browser, through the guard, and a
signal ends them with exit code 0 and nothing left running.

The system browser is a stub named by ``BROWSER`` (what Python's ``webbrowser`` runs): it
records the address it was given, then loads it as a browser would (following the redirect,
keeping the cookie) and records what it got. The display is the session's Xvfb: browser mode
is for where there is a display but no webview runtime.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sys
import textwrap
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from shell.guard import TOKEN_PARAM
from tests.shell.launch import AppProcess
from tests.shell.wm import wait_for

ROOT = Path(__file__).resolve().parents[2]
TEXT = "served in the system browser"

APP = textwrap.dedent('''
    import sys
    sys.path.insert(0, {root!r})
    from appkit import App
    from appkit.html import P, Page

    app = App("browser-mode-test", title="Browser mode")


    @app.get("/")
    def index():
        return Page("Browser mode", P({text!r}))


    @app.get("/about")
    def about():
        return Page("About", P("about"))


    if __name__ == "__main__":
        app.run(backend="browser")
''')

# The browser: one JSON record per run, written whole (a rename) so a reader never sees half.
BROWSER = textwrap.dedent('''
    #!{python}
    import http.cookiejar, json, os, socket, sys, urllib.request

    # Browsers resolve every *.localhost name to loopback themselves.
    resolve = socket.getaddrinfo
    socket.getaddrinfo = lambda host, *rest, **kw: resolve(
        "127.0.0.1" if str(host).endswith(".localhost") else host, *rest, **kw)
    record = {{"argv": sys.argv[1:]}}
    try:
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        with opener.open(sys.argv[1], timeout=10) as response:
            record.update(status=response.status, url=response.url,
                          body=response.read().decode())
        record["cookies"] = {{cookie.name: cookie.value for cookie in jar}}
        record["domains"] = sorted({{cookie.domain for cookie in jar}})
        about = sys.argv[1].split("?", 1)[0] + "about"
        with opener.open(about, timeout=10) as response:
            record["about"] = response.status
    except Exception as exc:
        record["error"] = repr(exc)
    path = os.path.join({folder!r}, str(os.getpid()))
    with open(path + ".tmp", "w", encoding="utf-8") as handle:
        json.dump(record, handle)
    os.replace(path + ".tmp", path + ".json")
''').lstrip()


@pytest.fixture(params=["appkit-run", "appkit-run-no-reload", "App.run"])
def command(request: pytest.FixtureRequest, tmp_path: Path) -> list[str]:
    app_file = tmp_path / "app" / "browser_app.py"
    app_file.parent.mkdir()
    app_file.write_text(APP.format(root=str(ROOT), text=TEXT), encoding="utf-8")
    if request.param == "App.run":
        return [sys.executable, str(app_file)]
    options = ["--no-reload"] if request.param == "appkit-run-no-reload" else []
    return [sys.executable, "-m", "appkit.cli", "run", str(app_file), "--browser", *options]


@pytest.fixture
def opened(tmp_path: Path) -> Path:
    """The folder where the stub browser leaves its records."""
    folder = tmp_path / "opened"
    folder.mkdir()
    return folder


@pytest.fixture
def app(command: list[str], opened: Path, gui_env: dict[str, str],
        tmp_path: Path) -> Iterator[AppProcess]:
    browser = tmp_path / "fake-browser"
    browser.write_text(BROWSER.format(python=sys.executable, folder=str(opened)),
                       encoding="utf-8")
    browser.chmod(0o755)
    process = AppProcess(command, {**gui_env, "BROWSER": str(browser)}, ROOT,
                         tmp_path / "stderr.log")
    yield process
    process.kill()


def status_of(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        exc.close()
        return int(exc.code)


def port_is_closed(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


@pytest.mark.parametrize("stop", ["SIGINT to the group", "SIGTERM"])
def test_browser_mode_opens_the_guarded_app_and_a_signal_ends_it(
        app: AppProcess, opened: Path, stop: str) -> None:
    url = app.ready()
    parts = urlsplit(url)
    assert (parts.scheme, parts.hostname, parts.path) == ("http", "127.0.0.1", "/"), url
    key, _, token = parts.query.partition("=")
    assert key == TOKEN_PARAM and len(token) >= 32, url
    base = f"http://{parts.netloc}/"

    assert wait_for(lambda: list(opened.glob("*.json")), 30), (
        f"the browser was never opened; stderr: {app.stderr()[-2000:]}")
    (record_file,) = opened.glob("*.json")
    record = json.loads(record_file.read_text(encoding="utf-8"))
    # The browser opens the app on the launch's secret name, with the same port and token.
    (opened_url,) = record["argv"]
    shown = urlsplit(opened_url)
    secret = shown.hostname or ""
    assert secret.endswith(".localhost") and len(secret.split(".")[0]) == 32, opened_url
    assert (shown.port, shown.path, shown.query) == (parts.port, "/", parts.query), opened_url
    assert "error" not in record, record
    # The token was swapped for a cookie, host-only on the secret name, and dropped from
    # the address...
    assert (record["status"], record["url"]) == (200, f"http://{shown.netloc}/"), record
    assert record["cookies"].get(f"appkit-token-{parts.port}") == token, record
    assert record["domains"] == [secret], record
    assert TEXT in record["body"]
    # ...and the cookie alone opens the app's other pages.
    assert record["about"] == 200, record
    assert status_of(base) == 403, "without the cookie the guard must refuse"
    assert status_of(f"{base}about") == 403

    if stop == "SIGTERM":
        app.proc.send_signal(signal.SIGTERM)
    else:  # Ctrl+C in a terminal: every process of the foreground group gets it
        os.killpg(app.proc.pid, signal.SIGINT)
    assert app.wait() == 0, app.stderr()[-3000:]
    assert app.group_is_gone(), "a process of the app was left running"
    assert port_is_closed(parts.port or 0), "the server still listens"
    assert len(list(opened.glob("*.json"))) == 1, "the browser was opened more than once"
    assert not [line for line in app.lines.seen if "server stopped" in line], app.lines.seen
    assert app.logged_errors() == []
