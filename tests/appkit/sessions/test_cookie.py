"""The default store: the session, signed, in its cookie; the key in the config folder."""

from __future__ import annotations

import json
import logging
import os
import re
import stat
import time
from datetime import timedelta
from pathlib import Path

import pytest

from appkit import App
from appkit.sessions import Session, Sessions, SessionTooLarge, SessionValueError
from appkit.sessions._signing import derive_key, sign
from appkit.sessions.manager import SessionManager
from appkit.testing import Client
from tests.appkit.sessions.conftest import session_app

COOKIE = "appkit-session-t"


def cookie_header(response) -> str:  # type: ignore[no-untyped-def]
    values = [v for k, v in response.headers.multi_items() if k == "set-cookie"]
    ours = [v for v in values if v.startswith(f"{COOKIE}=")]
    assert len(ours) == 1, values
    return ours[0]


def cookie_value(response) -> str:  # type: ignore[no-untyped-def]
    return cookie_header(response).split(";")[0].split("=", 1)[1]


def sets_cookie(response) -> bool:  # type: ignore[no-untyped-def]
    return any(k == "set-cookie" and v.startswith(f"{COOKIE}=")
               for k, v in response.headers.multi_items())


def with_cookie(value: str) -> dict[str, str]:
    return {"Cookie": f"{COOKIE}={value}"}


def test_values_round_trip_between_requests() -> None:
    with Client(session_app()) as client:
        assert client.get("/show").json() == {}
        client.post("/set", data={"key": "user", "value": "ann"})
        client.post("/set", data={"key": "theme", "value": "dark"})
        assert client.get("/show").json() == {"user": "ann", "theme": "dark"}
        client.post("/clear")
        assert client.get("/show").json() == {}


def test_the_cookie_is_set_only_when_the_session_changed() -> None:
    with Client(session_app()) as client:
        assert not sets_cookie(client.get("/show"))  # nothing to keep yet
        changed = client.post("/set", data={"key": "user", "value": "ann"})
        assert sets_cookie(changed)
        assert not sets_cookie(client.get("/show"))
        assert not sets_cookie(client.get("/show"))
        assert sets_cookie(client.post("/set", data={"key": "user", "value": "bo"}))


def test_the_cookie_is_httponly_lax_whole_site_and_lives_max_age() -> None:
    with Client(session_app()) as client:
        header = cookie_header(client.post("/set", data={"key": "a", "value": "1"}))
        attributes = {part.strip().lower() for part in header.split(";")[1:]}
        assert attributes == {"httponly", "samesite=lax", "path=/", "max-age=1209600"}
    app = session_app(max_age=timedelta(hours=1), same_site="strict", https_only=True)
    with Client(app) as client:
        header = cookie_header(client.post("/set", data={"key": "a", "value": "1"}))
        attributes = {part.strip().lower() for part in header.split(";")[1:]}
        assert attributes == {"httponly", "samesite=strict", "path=/", "max-age=3600",
                              "secure"}


def test_the_cookie_is_signed_json_the_user_can_read_but_not_change() -> None:
    with Client(session_app()) as client:
        value = cookie_value(client.post("/set", data={"key": "user", "value": "ann"}))
        payload, stamp, signature = value.split(".")
        assert abs(int(stamp, 16) - time.time()) < 60
        assert len(signature) == 43  # HMAC-SHA256, base64 without padding
        forged = value.replace(payload, payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB"))
        assert client.get("/show", headers=with_cookie(forged)).json() == {}


def test_the_key_is_made_once_in_the_config_folder_private_to_the_user(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    app = session_app()
    key_file = app.paths.config / "secret.key"
    assert not key_file.exists()  # nothing is written before a session is used
    with Client(app) as client:
        value = cookie_value(client.post("/set", data={"key": "user", "value": "ann"}))
    assert key_file == Path(os.environ["XDG_CONFIG_HOME"]) / "t" / "secret.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert re.fullmatch(r"[0-9a-f]{64}\n", key_file.read_text())
    assert list(tmp_path.iterdir()) == []  # never the current directory
    before = key_file.read_text()

    restarted = session_app()  # the same app started again signs with the same key
    with Client(restarted) as client:
        assert client.get("/show", headers=with_cookie(value)).json() == {"user": "ann"}
    assert key_file.read_text() == before


def test_an_app_may_bring_its_own_key() -> None:
    key = b"k" * 32
    first = session_app(secret_key=key)
    with Client(first) as client:
        value = cookie_value(client.post("/set", data={"key": "user", "value": "ann"}))
    assert not (first.paths.config / "secret.key").exists()
    with Client(session_app(secret_key=key)) as client:
        assert client.get("/show", headers=with_cookie(value)).json() == {"user": "ann"}
    with Client(session_app(secret_key=b"x" * 32)) as client:
        assert client.get("/show", headers=with_cookie(value)).json() == {}


def test_a_short_key_or_a_bad_setting_is_refused() -> None:
    from appkit import ConfigurationError

    with pytest.raises(ConfigurationError, match="32 bytes"):
        Sessions(secret_key="short")
    with pytest.raises(ConfigurationError, match="'cookie', 'sqlite'"):
        Sessions(store="redis")
    with pytest.raises(ConfigurationError, match="positive"):
        Sessions(max_age=0)
    with pytest.raises(ConfigurationError, match="https_only=True"):
        Sessions(same_site="none")


def test_a_damaged_key_file_is_reported_with_the_fix() -> None:
    app = session_app()
    (app.paths.config / "secret.key").write_text("not a key\n")
    with pytest.raises(Exception, match=r"secret\.key does not hold a key\. Delete the file"):
        app.sessions.store  # noqa: B018


# ---- cookies that do not hold a valid session --------------------------------------------


@pytest.fixture
def valid() -> tuple[App, str]:
    app = session_app()
    with Client(app) as client:
        value = cookie_value(client.post("/set", data={"key": "user", "value": "ann"}))
    return app, value


def test_a_tampered_cookie_gives_an_empty_session(valid: tuple[App, str],
                                                  caplog: pytest.LogCaptureFixture) -> None:
    app, value = valid
    caplog.set_level(logging.INFO, logger="appkit.sessions")
    payload, stamp, signature = value.split(".")
    data = json.loads(_unb64(payload))
    data["d"]["user"] = "admin"
    tampered = f"{_b64(json.dumps(data).encode())}.{stamp}.{signature}"
    with Client(app) as client:
        answer = client.get("/show", headers=with_cookie(tampered))
        assert answer.status_code == 200
        assert answer.json() == {}
        later_stamp = f"{payload}.{int(stamp, 16) + 1000:x}.{signature}"
        assert client.get("/show", headers=with_cookie(later_stamp)).json() == {}
        assert client.get("/show", headers=with_cookie(value)).json() == {"user": "ann"}
    assert any("not valid" in r.getMessage() and r.levelno == logging.INFO
               for r in caplog.records)


def test_an_expired_cookie_gives_an_empty_session(
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="appkit.sessions")
    app = session_app(max_age=600)
    app.sessions.store  # noqa: B018 (makes the key)
    key = bytes.fromhex((app.paths.config / "secret.key").read_text())
    signer = derive_key(key, "session-cookie")
    payload = b'{"d":{"user":"ann"}}'
    old = sign(signer, payload, int(time.time()) - 601)
    fresh = sign(signer, payload, int(time.time()) - 590)
    with Client(app) as client:
        assert client.get("/show", headers=with_cookie(old)).json() == {}
        assert client.get("/show", headers=with_cookie(fresh)).json() == {"user": "ann"}
    assert any("expired" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("value", [
    "garbage", "a.b.c", "a.b", "...", "\xe9.\xfc.\xdf", "eyJ9.zz.AAAA", "=",
])
def test_a_malformed_cookie_gives_an_empty_session(value: str) -> None:
    with Client(session_app()) as client:
        # As the server reads it: latin-1 bytes (what a client sends beyond ASCII).
        cookie = f"{COOKIE}={value}".encode("latin-1")
        answer = client.get("/show", headers={"Cookie": cookie})  # type: ignore[dict-item]
        assert answer.status_code == 200
        assert answer.json() == {}


def test_a_signed_value_that_is_not_a_session_gives_an_empty_session() -> None:
    app = session_app()
    app.sessions.store  # noqa: B018
    key = derive_key(bytes.fromhex((app.paths.config / "secret.key").read_text()),
                     "session-cookie")
    with Client(app) as client:
        for payload in (b"[1, 2]", b"not json", b'{"d": "text"}', b"\xff\xfe"):
            value = sign(key, payload, int(time.time()))
            assert client.get("/show", headers=with_cookie(value)).json() == {}


def test_an_oversized_cookie_gives_an_empty_session(valid: tuple[App, str]) -> None:
    app, value = valid
    with Client(app) as client:
        answer = client.get("/show", headers=with_cookie(value + "A" * 5000))
        assert answer.status_code == 200
        assert answer.json() == {}


def test_a_session_too_big_for_a_cookie_is_an_error_that_names_the_fix(
        error_logs: list[logging.LogRecord]) -> None:
    app = session_app()

    @app.post("/big")
    def big(session: Session) -> str:
        session["note"] = "small"
        session["blob"] = "x" * 5000
        return "saved?"

    with Client(app) as client:
        client.post("/set", data={"key": "user", "value": "ann"})
        answer = client.post("/big", headers={"Accept": "application/json"})
        assert answer.status_code == 500
        assert not sets_cookie(answer)  # the session stays as it was
        assert client.get("/show").json() == {"user": "ann"}
    assert len(error_logs) == 1
    exc = error_logs[0].exc_info[1] if error_logs[0].exc_info else None
    assert isinstance(exc, SessionTooLarge)
    message = str(exc)
    assert "over the 4079 bytes a cookie holds" in message  # 4096 less the name and "="
    assert "'blob' (5002 bytes)" in message
    assert 'Sessions(store="sqlite")' in message
    assert exc.size > exc.limit == 4079


def test_a_value_changed_inside_that_is_not_json_is_an_error_naming_the_key(
        error_logs: list[logging.LogRecord]) -> None:
    app = session_app()

    @app.post("/bad")
    def bad(session: Session) -> str:
        session["items"] = []
        session["items"].append({1, 2})
        return "saved?"

    with Client(app) as client:
        assert client.post("/bad").status_code == 500
    exc = error_logs[0].exc_info[1] if error_logs[0].exc_info else None
    assert isinstance(exc, SessionValueError)
    assert "'items'" in str(exc)


def test_two_apps_use_two_cookies() -> None:
    assert session_app("notes").sessions.cookie_name == "appkit-session-notes"
    assert session_app("My App!").sessions.cookie_name == "appkit-session-My-App"
    assert session_app(cookie_name="sid").sessions.cookie_name == "sid"


def test_the_session_is_not_available_outside_appkit_routes() -> None:
    from starlette.requests import Request

    from appkit.sessions import SessionError

    manager = SessionManager(Sessions(), "t", lambda: pytest.fail("no folder needed"))
    request = Request({"type": "http", "headers": [], "method": "GET", "path": "/"})
    with pytest.raises(SessionError, match="not to mounted apps"):
        manager.current(request)


def _b64(data: bytes) -> str:
    import base64

    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    import base64

    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def test_a_cookie_checked_before_still_expires_and_a_changed_one_is_checked_again(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from appkit.sessions import cookie as cookie_module
    from appkit.sessions.cookie import CookieStore

    store = CookieStore(b"k" * 32)
    value = store.save(None, '{"d":{"n":1}}', 600)
    assert store.load(value, 600) == '{"d":{"n":1}}'
    assert store.load(value, 600) == '{"d":{"n":1}}'  # the second time from what was checked
    payload, stamp, mac = value.split(".")
    assert store.load(f"{payload}.{stamp}.{mac[:-2]}AA", 600) is None  # tampered
    assert store.load(f"{payload}x.{stamp}.{mac}", 600) is None
    later = time.time() + 601
    monkeypatch.setattr(cookie_module.time, "time", lambda: later)
    assert store.load(value, 600) is None  # expired, though it was checked before
