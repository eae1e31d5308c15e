"""The loopback guard: token exchange, cookie, bearer, Host and Origin checks, websockets,
and the token kept out of logs."""

from __future__ import annotations

import logging

import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route, WebSocketRoute
from starlette.testclient import WebSocketDenialResponse
from starlette.websockets import WebSocket

from appkit.testing import Client
from shell.guard import TOKEN_PARAM, LoopbackGuard, RedactTokens, new_token, redact

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
    assert response.headers["location"] == "/page?x=1"
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
