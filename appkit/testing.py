"""``appkit.testing``: an in-process client for tests.

    from appkit.testing import Client

    def test_index():
        with Client(app) as client:          # runs the app's startup and shutdown hooks
            page = client.get("/")
            assert "Hello" in page.text
            fragment = client.post("/todos", data={"title": "Milk"}, hx=True)

``hx=True`` sends the headers htmx sends (``HX-Request``, ``HX-Current-URL``), so the app
answers with a fragment; ``hx_target=``/``hx_trigger=`` add those headers too.
"""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

__all__ = ["Client"]


class Client(TestClient):
    """A synchronous client that calls the app in-process (no server, no network).

    Args:
        app: any ASGI app, usually an ``appkit.App``.
        raise_server_exceptions: re-raise errors that escape the app instead of answering
            500 (appkit answers handler errors itself, so this rarely matters).
        base_url: the address requests appear to go to.
    """

    def __init__(self, app: Any, *, raise_server_exceptions: bool = True,
                 base_url: str = "http://127.0.0.1:8000", **kwargs: Any) -> None:
        super().__init__(app, base_url=base_url,
                         raise_server_exceptions=raise_server_exceptions, **kwargs)

    def request(self, method: str, url: Any, *, hx: bool = False,  # type: ignore[override]
                hx_target: str | None = None, hx_trigger: str | None = None,
                **kwargs: Any) -> Any:
        if hx or hx_target or hx_trigger:
            headers = dict(kwargs.pop("headers", None) or {})
            headers.setdefault("HX-Request", "true")
            headers.setdefault("HX-Current-URL", str(self.base_url))
            if hx_target:
                headers["HX-Target"] = hx_target
            if hx_trigger:
                headers["HX-Trigger"] = hx_trigger
            kwargs["headers"] = headers
        return super().request(method, url, **kwargs)

    def get(self, url: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        """GET ``url``; ``hx=True`` makes it an htmx request."""
        return self.request("GET", url, **kwargs)

    def post(self, url: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        """POST to ``url`` (``data=`` for a form, ``json=``, ``files=``)."""
        return self.request("POST", url, **kwargs)

    def put(self, url: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        """PUT to ``url``."""
        return self.request("PUT", url, **kwargs)

    def patch(self, url: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        """PATCH ``url``."""
        return self.request("PATCH", url, **kwargs)

    def delete(self, url: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        """DELETE ``url``."""
        return self.request("DELETE", url, **kwargs)
