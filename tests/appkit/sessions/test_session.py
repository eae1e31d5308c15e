"""``Session``: a dict of JSON values that knows when it changed."""

from __future__ import annotations

import datetime as dt

import pytest

from appkit.sessions import Session, SessionValueError


def test_it_reads_and_writes_like_a_dict() -> None:
    session = Session()
    session["user"] = "ann"
    session["cart"] = [1, 2]
    session.update(theme="dark")
    assert session["user"] == "ann"
    assert session.get("missing", "x") == "x"
    assert "cart" in session and "nope" not in session
    assert sorted(session) == ["cart", "theme", "user"]
    assert len(session) == 3
    assert session.pop("theme") == "dark"
    assert session.pop("theme", None) is None
    del session["cart"]
    assert dict(session) == {"user": "ann"}
    session.clear()
    assert dict(session) == {}
    with pytest.raises(KeyError):
        session["user"]


def test_it_is_modified_only_by_a_change() -> None:
    session = Session({"user": "ann"})
    assert not session.modified
    session.get("user")
    _ = "user" in session
    list(session)
    session.pop("missing", None)
    Session().clear()
    assert not session.modified
    session["user"] = "bo"
    assert session.modified


def test_clear_keeps_the_csrf_token() -> None:
    session = Session({"user": "ann"})
    token = session.csrf_token
    session.clear()
    assert session.csrf_token == token


def test_the_csrf_token_is_made_once() -> None:
    session = Session()
    assert not session.has_csrf_token
    token = session.csrf_token
    assert session.modified and session.has_csrf_token
    assert len(token) >= 40
    assert session.csrf_token == token
    assert Session().csrf_token != token


def test_a_value_that_is_not_json_is_refused_with_its_key() -> None:
    session = Session()
    with pytest.raises(SessionValueError, match=r"cannot keep 'when'.*JSON values") as info:
        session["when"] = dt.date(2024, 5, 1)
    assert isinstance(info.value, TypeError)
    assert "when" not in session and not session.modified
    with pytest.raises(SessionValueError, match="'ratio'"):
        session["ratio"] = float("nan")
    with pytest.raises(SessionValueError, match="keys are text"):
        session[3] = "x"  # type: ignore[index]


def test_a_value_changed_inside_is_checked_when_saved() -> None:
    session = Session({"cart": []})
    session["cart"].append(object())
    with pytest.raises(SessionValueError, match="'cart'"):
        session.dumps()


def test_dumps_and_loads_round_trip() -> None:
    session = Session({"user": "ann", "ids": [1, 2], "prefs": {"a": None, "b": 1.5}})
    token = session.csrf_token
    again = Session.loads(session.dumps())
    assert dict(again) == dict(session)
    assert again.csrf_token == token
    assert not again.modified


@pytest.mark.parametrize("text", ["[]", '{"d": []}', '{"c": 3}', '{"t": [1]}',
                                  '{"t": [{"message": 1, "kind": "info"}]}'])
def test_loads_refuses_what_dumps_never_wrote(text: str) -> None:
    with pytest.raises(ValueError):
        Session.loads(text)
