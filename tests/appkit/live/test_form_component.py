"""A FormComponent checks each field as it changes (its error shows once the user has been
there), every field on submit, and hands the model to on_accepted."""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from appkit import App
from appkit.html import Page
from appkit.live import FormComponent
from tests.appkit.live.pages import LivePage, frames, live_client, reply_to

ROUTE = "/_appkit-component"
SAVED: list[Any] = []


@dataclass
class Payment:
    day: dt.date
    amount: Decimal
    note: str = ""


class PaymentForm(FormComponent):
    model = Payment

    def on_accepted(self, value: Payment) -> None:
        SAVED.append(value)
        self.clear()


def form_app() -> App:
    app = App("form-component")

    @app.get("/")
    def index() -> Any:
        return Page("Pay", PaymentForm.mount())

    return app


def token(html: str) -> str:
    found = re.search(r'data-component="PaymentForm" hx-vals="([^"]*)"', html)
    assert found is not None
    return str(json.loads(found.group(1).replace("&quot;", '"'))["_c"])


def errors_of(html: str) -> dict[str, str]:
    return dict(re.findall(r'<small id="([\w-]+)-error" class="error" role="alert">([^<]*)<',
                           html))


def post(client: Any, **data: Any) -> Any:
    return client.post(ROUTE, data=data, headers={"HX-Request": "true"})


def test_a_change_shows_only_the_errors_of_fields_the_user_has_been_to() -> None:
    with live_client(form_app()) as client:
        tok = token(client.get("/").text)
        answer = post(client, _c=tok, _h="change", touched="amount", day="", amount="abc")
        assert errors_of(answer.text) == {"amount": "Not a valid decimal number"}
        assert 'value="abc"' in answer.text                     # kept as typed
        answer = post(client, _c=tok, _h="change", touched="day", day="", amount="abc")
        assert set(errors_of(answer.text)) == {"day", "amount"}


def test_a_submit_checks_everything_and_hands_over_the_model() -> None:
    SAVED.clear()
    with live_client(form_app()) as client:
        tok = token(client.get("/").text)
        bad = post(client, _c=tok, _h="submit", day="2024-01-02", amount="")
        assert errors_of(bad.text) == {"amount": "Required"} and SAVED == []
        good = post(client, _c=tok, _h="submit", day="2024-01-02", amount="9.99", note="ok")
        assert SAVED == [Payment(dt.date(2024, 1, 2), Decimal("9.99"), "ok")]
        assert errors_of(good.text) == {} and 'value="9.99"' not in good.text  # cleared


def test_fields_the_model_does_not_have_are_refused() -> None:
    with live_client(form_app()) as client:
        tok = token(client.get("/").text)
        assert post(client, _c=tok, _h="submit", day="2024-01-02", amount="1",
                    raw="{}").status_code == 400
        assert post(client, _c=tok, _h="submit", errors="x").status_code == 400


def test_over_the_socket_the_same_checks_apply() -> None:
    with live_client(form_app()) as client:
        page = LivePage(client)
        tok = token(page.html)
        ws = page.connect()
        frames(ws, 1)
        ws.send_text(json.dumps({"t": "ev", "ref": 1, "route": ROUTE, "d": {
            "_c": tok, "_h": "change", "touched": "amount", "amount": "zz"}}))
        reply = reply_to(ws, 1)
        assert reply["ok"] is True
        assert "Not a valid decimal number" in json.dumps(reply)
