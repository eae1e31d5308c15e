"""The loopback guard: token exchange, the secret host name, cookie, bearer, Host and Origin
checks, websockets, framing and the default policy, hostile paths and headers, and the token
kept out of logs."""

from __future__ import annotations

import logging

import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route, WebSocketRoute
from starlette.testclient import WebSocketDenialResponse
from starlette.websockets import WebSocket

from appkit.testing import Client
from shell.guard import (
    DEFAULT_CSP,
    TOKEN_PARAM,
    LoopbackGuard,
    RedactTokens,
    new_host_name,
    new_token,
    parse_cookies,
    redact,
)
from tests.conftest import run_async

ORIGIN = "http://127.0.0.1:8000"
WS_URL = "ws://127.0.0.1:8000/ws"


async def echo_ws(websocket: WebSocket) -> None:
    await websocket.accept()
    await websocket.send_text("hello")
    await websocket.close()


def make_app(token: str) -> LoopbackGuard:
    inner = Starlette(routes=[
        Route("/", lambda r: PlainTextResponse("inside"), methods=["GET", "POST", "DELETE"]),
        Route("/page", lambda r: PlainTextResponse(f"page {r.query_params.get('x')}")),
        WebSocketRoute("/ws", echo_ws),
    ])
    return LoopbackGuard(inner, token)


@pytest.fixture
def token() -> str:
    return new_token()


@pytest.fixture
def client(token: str) -> Client:
    return Client(make_app(token))


def signed_in(client: Client, token: str) -> Client:
    response = client.get(f"/?{TOKEN_PARAM}={token}", follow_redirects=False)
    assert response.status_code == 303
    return client


def test_a_request_without_the_secret_gets_403_with_an_explanation(client: Client) -> None:
    response = client.get("/")
    assert response.status_code == 403
    assert "Open this app from its window" in response.text
    assert "inside" not in response.text


def test_the_token_in_the_url_becomes_a_strict_httponly_cookie(client: Client,
                                                                token: str) -> None:
    response = client.get(f"/page?x=1&{TOKEN_PARAM}={token}", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "http://127.0.0.1:8000/page?x=1"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"appkit-token-8000={token};")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
    assert client.get("/page?x=2").text == "page 2"


def test_a_wrong_token_in_the_url_is_refused(client: Client) -> None:
    response = client.get(f"/?{TOKEN_PARAM}={new_token()}", follow_redirects=False)
    assert response.status_code == 403
    assert "set-cookie" not in response.headers


def test_a_wrong_cookie_is_refused(token: str) -> None:
    client = Client(make_app(token), cookies={"appkit-token-8000": new_token()})
    assert client.get("/").status_code == 403


def test_tools_may_use_a_bearer_token(client: Client, token: str) -> None:
    assert client.get("/", headers={"Authorization": f"Bearer {token}"}).text == "inside"
    assert client.get("/", headers={"Authorization": f"Bearer {new_token()}"}
                      ).status_code == 403
    assert client.get("/", headers={"Authorization": f"Basic {token}"}).status_code == 403


@pytest.mark.parametrize("host", ["evil.example:8000", "127.0.0.1:9999", "127.0.0.1",
                                  "attacker.test"])
def test_only_the_loopback_host_and_port_are_served(client: Client, token: str,
                                                    host: str) -> None:
    response = client.get("/", headers={"Host": host, "Authorization": f"Bearer {token}"})
    assert response.status_code == 403
    assert "127.0.0.1:8000" in response.text


def test_localhost_with_the_port_is_served(client: Client, token: str) -> None:
    response = client.get("/", headers={"Host": "localhost:8000",
                                        "Authorization": f"Bearer {token}"})
    assert response.text == "inside"


@pytest.mark.parametrize("method", ["POST", "DELETE"])
def test_a_cross_site_unsafe_request_is_refused_even_with_the_cookie(
        client: Client, token: str, method: str) -> None:
    signed_in(client, token)
    response = client.request(method, "/", headers={"Origin": "http://evil.example"})
    assert response.status_code == 403
    assert "another site" in response.text
    assert client.request(method, "/", headers={"Origin": ORIGIN}).text == "inside"


def test_a_get_from_another_origin_still_needs_the_cookie(client: Client) -> None:
    assert client.get("/", headers={"Origin": "http://evil.example"}).status_code == 403


def test_websocket_needs_the_secret(client: Client, token: str) -> None:
    with pytest.raises(WebSocketDenialResponse) as denied:
        with client.websocket_connect(WS_URL, headers={"Origin": ORIGIN}):
            pass
    assert denied.value.status_code == 403
    # The test client's websocket does not send its cookie jar; a browser does.
    cookie = {"Cookie": f"appkit-token-8000={token}", "Origin": ORIGIN}
    with client.websocket_connect(WS_URL, headers=cookie) as ws:
        assert ws.receive_text() == "hello"


def test_a_cross_site_websocket_is_refused_even_with_the_cookie(client: Client,
                                                                 token: str) -> None:
    headers = {"Cookie": f"appkit-token-8000={token}", "Origin": "http://evil.example"}
    with pytest.raises(WebSocketDenialResponse) as denied:
        with client.websocket_connect(WS_URL, headers=headers):
            pass
    assert denied.value.status_code == 403


def test_cookies_are_named_per_port_so_two_apps_do_not_clash(token: str) -> None:
    client = Client(make_app(token), base_url="http://127.0.0.1:9123")
    response = client.get(f"/?{TOKEN_PARAM}={token}", follow_redirects=False)
    assert response.headers["set-cookie"].startswith("appkit-token-9123=")


def test_a_short_token_is_rejected() -> None:
    with pytest.raises(ValueError, match="too short"):
        LoopbackGuard(Starlette(), "abc")


def test_tokens_are_fresh_and_long() -> None:
    first, second = new_token(), new_token()
    assert first != second
    assert len(first) >= 43  # 32 bytes, URL-safe base64


def test_the_token_is_redacted_from_log_records(token: str,
                                                caplog: pytest.LogCaptureFixture) -> None:
    assert token not in redact(f"GET /?{TOKEN_PARAM}={token}&x=1 HTTP/1.1")
    logger = logging.getLogger("test.redact")
    logger.addFilter(RedactTokens())
    with caplog.at_level(logging.INFO, logger="test.redact"):
        logger.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET",
                    f"/?{TOKEN_PARAM}={token}", "1.1", 303)
        logger.info(f"opened /?{TOKEN_PARAM}={token}")
    assert token not in caplog.text
    assert f"{TOKEN_PARAM}=***" in caplog.text


# ---- the secret host name ----------------------------------------------------------------

SECRET = "0123456789abcdef0123456789abcdef.localhost"


def secret_app(token: str) -> LoopbackGuard:
    guard = make_app(token)
    return LoopbackGuard(guard.app, token, host_name=SECRET)


def test_the_cookie_is_set_on_the_secret_host_name_only(token: str) -> None:
    client = Client(secret_app(token), base_url=f"http://{SECRET}:8000")
    response = client.get(f"/page?x=1&{TOKEN_PARAM}={token}", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"http://{SECRET}:8000/page?x=1"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"appkit-token-8000={token};")
    assert "domain" not in cookie.lower()  # host-only: never sent to another name
    assert client.get("/page?x=2").text == "page 2"


@pytest.mark.parametrize("host", ["127.0.0.1:8000", "localhost:8000"])
def test_a_browsers_exchange_on_a_loopback_name_goes_to_the_secret_name_first(
        token: str, host: str) -> None:
    client = Client(secret_app(token), base_url=f"http://{host}")
    response = client.get(f"/page?x=1&{TOKEN_PARAM}={token}", follow_redirects=False,
                          headers={"Sec-Fetch-Mode": "navigate", "Sec-Fetch-Site": "none"})
    assert response.status_code == 303
    assert "set-cookie" not in response.headers, "no cookie on a name other servers share"
    assert response.headers["location"] == (
        f"http://{SECRET}:8000/page?x=1&{TOKEN_PARAM}={token}")


def test_a_tools_exchange_keeps_the_name_it_used(token: str) -> None:
    """curl or urllib (no Sec-Fetch-* headers) keep a cookie jar of their own."""
    client = Client(secret_app(token))
    response = client.get(f"/page?x=1&{TOKEN_PARAM}={token}", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "http://127.0.0.1:8000/page?x=1"
    assert response.headers["set-cookie"].startswith(f"appkit-token-8000={token};")


@pytest.mark.parametrize("host", ["other0123456789abcdef.localhost:8000",
                                  f"{SECRET}:9999", "evil.example:8000",
                                  f"{SECRET}.evil.example:8000"])
def test_other_names_are_still_refused(token: str, host: str) -> None:
    client = Client(secret_app(token))
    response = client.get("/", headers={"Host": host, "Authorization": f"Bearer {token}"})
    assert response.status_code == 403


def test_the_secret_name_is_an_allowed_origin(token: str) -> None:
    client = Client(secret_app(token), base_url=f"http://{SECRET}:8000")
    client.get(f"/?{TOKEN_PARAM}={token}")
    assert client.post("/", headers={"Origin": f"http://{SECRET}:8000"}).text == "inside"
    assert client.post("/", headers={"Origin": "http://127.0.0.1:9999"}).status_code == 403


def test_a_bad_secret_name_is_rejected(token: str) -> None:
    with pytest.raises(ValueError, match="new_host_name"):
        LoopbackGuard(Starlette(), token, host_name="example.com")
    name = new_host_name()
    assert name.endswith(".localhost") and len(name.split(".")[0]) == 32
    assert name != new_host_name()


# ---- framing and the default policy --------------------------------------------------------


def test_every_answer_refuses_framing_by_other_origins(client: Client, token: str) -> None:
    for response in (client.get("/"), signed_in(client, token).get("/page")):
        assert response.headers["x-frame-options"] in ("SAMEORIGIN", "DENY")
        policies = response.headers.get_list("content-security-policy")
        assert any("frame-ancestors 'self'" in p or "frame-ancestors 'none'" in p
                   for p in policies), policies


def test_the_default_policy_allows_only_the_apps_own_scripts(client: Client,
                                                             token: str) -> None:
    page = signed_in(client, token).get("/page")
    (policy,) = page.headers.get_list("content-security-policy")
    assert policy == DEFAULT_CSP
    assert "script-src 'self' 'unsafe-eval';" in policy and "'unsafe-inline'" not in (
        policy.split("script-src")[1].split(";")[0])
    assert page.headers["referrer-policy"] == "same-origin"


def test_an_apps_own_policy_wins_but_frames_stay_refused(token: str) -> None:
    inner = Starlette(routes=[Route("/", lambda r: PlainTextResponse("own", headers={
        "Content-Security-Policy": "default-src *"}))])
    client = Client(LoopbackGuard(inner, token), headers={"Authorization": f"Bearer {token}"})
    policies = client.get("/").headers.get_list("content-security-policy")
    assert policies == ["default-src *", "frame-ancestors 'self'"]
    none = Client(LoopbackGuard(inner, token, content_security_policy=None),
                  headers={"Authorization": f"Bearer {token}"})
    assert none.get("/").headers.get_list("content-security-policy") == [
        "default-src *", "frame-ancestors 'self'"]


# ---- cookies as browsers send them ---------------------------------------------------------


@pytest.mark.parametrize("foreign", ['prefs={"theme":"dark"}', "greeting=hello world",
                                     "a=b,c", "flag", 'q="unterminated', "=x", "k=v=w"])
def test_a_foreign_cookie_does_not_lock_the_window_out(token: str, foreign: str) -> None:
    client = Client(make_app(token))
    for cookie in (f"{foreign}; appkit-token-8000={token}",
                   f"appkit-token-8000={token}; {foreign}"):
        response = client.get("/", headers={"Cookie": cookie})
        assert response.text == "inside", cookie


def test_a_planted_cookie_of_the_same_name_does_not_lock_the_window_out(token: str) -> None:
    client = Client(make_app(token))
    # A planted one (a Domain cookie set by another page) comes before or after the real one.
    for cookie in (f"appkit-token-8000=planted; appkit-token-8000={token}",
                   f"appkit-token-8000={token}; appkit-token-8000=planted"):
        assert client.get("/", headers={"Cookie": cookie}).text == "inside", cookie
    assert client.get("/", headers={"Cookie": "appkit-token-8000=planted"}
                      ).status_code == 403


def test_cookies_are_parsed_as_browsers_send_them() -> None:
    assert parse_cookies('prefs={"theme":"dark"}; greeting=hello world;x=1') == [
        ("prefs", '{"theme":"dark"}'), ("greeting", "hello world"), ("x", "1")]
    assert parse_cookies("flag; ; =v") == [("", "flag"), ("", "v")]


# ---- the token exchange ------------------------------------------------------------------


def test_only_the_token_parameter_starts_an_exchange(client: Client, token: str) -> None:
    signed_in(client, token)
    for query in (f"x={TOKEN_PARAM}", f"{TOKEN_PARAM}x=1", f"x=1&y={TOKEN_PARAM}=2"):
        response = client.get(f"/page?{query}", follow_redirects=False)
        assert response.status_code == 200, query


def test_the_exchange_never_redirects_to_another_site(client: Client, token: str) -> None:
    for path in ("//evil.example/path", "/\\evil.example/path", "/%2F%2Fevil.example"):
        response = client.get(f"{path}?{TOKEN_PARAM}={token}", follow_redirects=False)
        assert response.status_code == 303
        location = response.headers["location"]
        assert location.startswith("http://127.0.0.1:8000/"), location
        assert "\\" not in location


@pytest.mark.parametrize(("path", "expected"), [
    ("/%E2%98%83", "/%E2%98%83"),
    ("/a%0D%0ASet-Cookie:%20x=1", "/a%0D%0ASet-Cookie:%20x=1"),
])
def test_the_exchange_encodes_the_path_it_sends_back(client: Client, token: str,
                                                     path: str, expected: str) -> None:
    response = client.get(f"{path}?{TOKEN_PARAM}={token}", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"http://127.0.0.1:8000{expected}"


# ---- Host and Authorization headers --------------------------------------------------------


async def _call(app: LoopbackGuard, headers: list[tuple[bytes, bytes]],
                method: str = "GET") -> list[dict[str, object]]:
    scope = {"type": "http", "method": method, "path": "/", "raw_path": b"/",
             "query_string": b"", "headers": headers, "server": ("127.0.0.1", 8000),
             "client": ("127.0.0.1", 5000), "scheme": "http", "root_path": "",
             "http_version": "1.1", "asgi": {"version": "3.0"}}
    sent: list[dict[str, object]] = []

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    await app(scope, receive, send)  # type: ignore[arg-type]
    return sent


@pytest.mark.parametrize("hosts", [(b"127.0.0.1:8000", b"evil.example:8000"),
                                   (b"evil.example:8000", b"127.0.0.1:8000"),
                                   (b"127.0.0.1:8000", b"127.0.0.1:8000")])
def test_two_host_headers_are_refused(token: str, hosts: tuple[bytes, bytes]) -> None:

    headers = [(b"host", hosts[0]), (b"authorization", f"Bearer {token}".encode()),
               (b"host", hosts[1])]
    sent = run_async(_call(make_app(token), headers))
    assert sent[0]["status"] == 400


def test_only_the_launch_bearer_token_exempts_from_csrf(token: str) -> None:
    from appkit import App

    app = App("guard-csrf")
    done: list[str] = []

    @app.post("/act")
    def act() -> str:
        done.append("x")
        return "done"

    guard = LoopbackGuard(app, token)
    with Client(guard, csrf=False) as browser:
        browser.get(f"/?{TOKEN_PARAM}={token}")  # the window's cookie
        # A browser adds cached Basic credentials by itself: no exemption.
        for auth in ("Basic dXNlcjpwYXNz", f"Bearer {new_token()}", "Bearer"):
            answer = browser.post("/act", headers={"Authorization": auth, "Origin": ORIGIN})
            assert answer.status_code == 403, auth
            assert "security token" in answer.text
    with Client(guard, csrf=False) as tool:
        assert tool.post("/act", headers={"Authorization": f"Bearer {token}"}).text == "done"
    assert done == ["x"]


def test_hostile_requests_never_break_the_guard(token: str) -> None:
    """Random paths, queries, Host, Cookie, Origin and Authorization headers (seeded): the
    guard always answers, below 500, with headers free of CR and LF."""
    import random
    from urllib.parse import unquote

    async def inner(scope: dict[str, object], receive: object, send: object) -> None:
        await send({"type": "http.response.start", "status": 200,  # type: ignore[operator]
                    "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})  # type: ignore[operator]

    guard = LoopbackGuard(inner, token, host_name=SECRET)  # type: ignore[arg-type]
    rng = random.Random(1234)
    pieces = [b"%", b"%E2%98%83", b"%0D%0A", b"\r\n", b"\\", b"//", TOKEN_PARAM.encode(),
              b"=", b"&", b";", b'"', b"\xff", b" ", token.encode(), SECRET.encode(),
              b"127.0.0.1:8000", *(bytes([i]) for i in range(256))]

    def junk() -> bytes:
        return b"".join(rng.choice(pieces) for _ in range(rng.randint(0, 12)))

    async def one() -> None:
        raw = b"/" + junk()
        path = unquote(raw.decode("latin-1"))
        query = rng.choice([b"", f"{TOKEN_PARAM}={token}".encode(), junk(),
                            TOKEN_PARAM.encode() + b"=" + junk()])
        headers = [(b"host", rng.choice([b"127.0.0.1:8000", f"{SECRET}:8000".encode(),
                                         junk()]))]
        for _ in range(rng.randint(0, 4)):
            name = rng.choice([b"cookie", b"origin", b"authorization", b"host",
                               b"sec-fetch-mode"])
            headers.append((name, rng.choice([junk(), f"appkit-token-8000={token}".encode(),
                                              f"Bearer {token}".encode()])))
        scope = {"type": "http", "method": rng.choice(["GET", "POST"]), "path": path,
                 "raw_path": raw, "query_string": query, "headers": headers,
                 "server": ("127.0.0.1", 8000), "client": ("127.0.0.1", 5000),
                 "scheme": "http", "root_path": "", "http_version": "1.1",
                 "asgi": {"version": "3.0"}}
        sent: list[dict[str, object]] = []

        async def receive() -> dict[str, object]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict[str, object]) -> None:
            sent.append(message)

        await guard(scope, receive, send)  # type: ignore[arg-type]
        start = sent[0]
        assert isinstance(start["status"], int) and start["status"] < 500, (scope, start)
        for _, value in start["headers"]:  # type: ignore[attr-defined]
            assert b"\r" not in value and b"\n" not in value, (scope, value)
            value.decode("ascii")

    async def many() -> None:
        for _ in range(3000):
            await one()

    run_async(many())
