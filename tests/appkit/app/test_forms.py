"""Form models in plain routes: every field checked, each error by its field, what was
typed kept, 422 with errors; dataclasses and pydantic models."""

from __future__ import annotations

import datetime as dt
import enum
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pydantic
import pytest
from starlette.datastructures import UploadFile

from appkit import App
from appkit.app.forms import FormModel, Submitted, form_for
from appkit.errors import BadRequest, ConfigurationError
from appkit.html import P, Page
from appkit.testing import Client


class Category(enum.Enum):
    FOOD = "food"
    TRAVEL = "travel"


@dataclass
class Expense:
    day: dt.date
    amount: Decimal
    category: Category
    note: str = field(default="", metadata={"label": "A note"})
    paid: bool = False

    def validate(self) -> dict[str, str]:
        return {"amount": "Must be more than 0"} if self.amount <= 0 else {}


class Person(pydantic.BaseModel):
    name: str
    age: int = pydantic.Field(ge=0)
    email: str | None = None


def forms_app() -> App:
    app = App("forms")
    app.state.saved = []

    @app.get("/")
    def new() -> Any:
        return Page("New", form_for(Expense).render(action="/expenses"))

    @app.post("/expenses")
    def create(form: Submitted[Expense]) -> Any:
        if not form.accepted:
            return form.render(action="/expenses")
        app.state.saved.append(form.value)
        return P("saved", id="done")

    @app.post("/people")
    def person(form: Submitted[Person]) -> Any:
        if not form.accepted:
            return form.render(action="/people")
        return P(form.value.name, id="done")

    return app


def errors_of(html: str) -> dict[str, str]:
    return dict(re.findall(r'<small id="([\w-]+)-error" class="error" role="alert">([^<]*)<',
                           html))


@pytest.fixture
def client() -> Any:
    with Client(forms_app()) as c:
        yield c


def test_the_form_shows_every_field_with_its_label_and_type(client: Client) -> None:
    html = client.get("/").text
    assert '<input type="date" id="day" name="day" required>' in html
    assert 'type="number"' in html and 'step="any"' in html
    assert '<option value="food">Food</option>' in html
    assert '<label for="note">A note</label>' in html
    assert 'type="checkbox"' in html


def test_every_bad_field_gets_its_own_error_and_keeps_what_was_typed(client: Client) -> None:
    answer = client.post("/expenses", data={"day": "someday", "amount": "12,5x",
                                            "category": "boats", "note": "<b>hi</b>"})
    assert answer.status_code == 422
    errors = errors_of(answer.text)
    assert set(errors) == {"day", "amount", "category"}
    assert "date" in errors["day"] and "decimal" in errors["amount"]
    assert 'value="12,5x"' in answer.text and 'value="&lt;b&gt;hi&lt;/b&gt;"' in answer.text
    assert client.app.state.saved == []                     # type: ignore[attr-defined]


def test_missing_fields_are_required_and_a_missing_checkbox_is_false(client: Client) -> None:
    answer = client.post("/expenses", data={})
    assert answer.status_code == 422
    assert errors_of(answer.text) == {"day": "Required", "amount": "Required",
                                      "category": "Required"}
    ok = client.post("/expenses", data={"day": "2024-05-01", "amount": "3.50",
                                        "category": "travel"})
    assert ok.status_code == 200
    saved = client.app.state.saved[-1]                      # type: ignore[attr-defined]
    assert saved == Expense(dt.date(2024, 5, 1), Decimal("3.50"), Category.TRAVEL, "", False)


def test_the_models_own_check_shows_by_its_field(client: Client) -> None:
    answer = client.post("/expenses", data={"day": "2024-05-01", "amount": "-2",
                                            "category": "food"})
    assert answer.status_code == 422 and errors_of(answer.text) == {
        "amount": "Must be more than 0"}


def test_a_pydantic_model_works_the_same(client: Client) -> None:
    bad = client.post("/people", data={"name": "", "age": "-3", "email": ""})
    assert bad.status_code == 422 and "age" in errors_of(bad.text)
    good = client.post("/people", data={"name": "Ann", "age": "40"})
    assert good.status_code == 200 and "Ann" in good.text


def test_value_of_a_form_with_errors_says_so() -> None:
    submitted = form_for(Expense).check({"day": "x"})
    assert not submitted.accepted
    with pytest.raises(BadRequest, match="day"):
        _ = submitted.value


def test_only_models_make_forms() -> None:
    with pytest.raises(ConfigurationError, match="dataclass or a pydantic model"):
        FormModel(dict)


@dataclass
class Account:
    id: int | None = None
    name: str = ""
    email: str = ""
    is_admin: bool = False


@dataclass
class Rename:
    name: str


def accounts_app() -> App:
    app = App("model-forms")

    @app.migration(1)
    def create(db: Any) -> None:
        db.execute("CREATE TABLE account (id INTEGER PRIMARY KEY, name TEXT NOT NULL, "
                   "email TEXT NOT NULL, is_admin INTEGER NOT NULL)")

    accounts = app.table_for(Account, name="account")
    app.state.accounts = accounts
    edit = form_for(Account, fields=("name", "email"))

    @app.post("/accounts/{pk:int}/rename")
    def rename(pk: int, form: Submitted[Rename]) -> Any:
        if not form.accepted:
            return form.render()
        return P(form.save(accounts, pk).name, id="saved")

    @app.post("/accounts/{pk:int}/edit")
    async def edit_account(pk: int, request: Any) -> Any:
        submitted = edit.build(await request.form(), True)
        if not submitted.accepted:
            return submitted.render()
        return P(repr(submitted.save(accounts, pk)), id="saved")

    @app.post("/accounts")
    async def add(request: Any) -> Any:
        submitted = edit.build(await request.form(), True)
        return P(repr(submitted.save(accounts)), id="saved")

    return app


def test_a_model_form_writes_only_the_fields_it_declares() -> None:
    with Client(accounts_app()) as client:
        accounts = client.app.state.accounts                  # type: ignore[attr-defined]
        row = accounts.insert(Account(name="Ann", email="ann@example.org"))
        answer = client.post(f"/accounts/{row.id}/edit", data={
            "name": "Anna", "email": "anna@example.org", "is_admin": "true", "id": "99"})
        assert answer.status_code == 200
        saved = accounts.get(row.id)
        assert saved == Account(row.id, "Anna", "anna@example.org", False)   # not admin
        assert accounts.get(row.id).id == row.id and len(accounts.find()) == 1
        renamed = client.post(f"/accounts/{row.id}/rename", data={"name": "Annie",
                                                                  "is_admin": "1"})
        assert "Annie" in renamed.text
        assert accounts.get(row.id) == Account(row.id, "Annie", "anna@example.org", False)
        added = client.post("/accounts", data={"name": "Bob", "email": "b@x",
                                               "is_admin": "on"})
        assert "is_admin=False" in added.text


def test_a_partial_form_says_to_use_changes_or_save() -> None:
    submitted = form_for(Account, fields=("name",)).check({"name": "Zoe"})
    assert submitted.accepted and submitted.changes == {"name": "Zoe"}
    with pytest.raises(BadRequest, match="only some fields"):
        _ = submitted.value
    with pytest.raises(ConfigurationError, match="no field 'nope'"):
        form_for(Account, fields=("name", "nope"))


@dataclass
class Attach:
    title: str
    file: UploadFile | None = None


def test_an_upload_field_is_a_file_input_and_the_form_goes_as_multipart() -> None:
    app = App("uploads")

    @app.get("/")
    def new() -> Any:
        return Page("Attach", form_for(Attach).render(action="/attach"))

    @app.post("/attach")
    async def attach(form: Submitted[Attach]) -> Any:
        assert form.accepted and form.value.file is not None
        return P(f"{form.value.title}: {len(await form.value.file.read())} bytes", id="done")

    with Client(app) as client:
        html = client.get("/").text
        assert re.search(r'<input type="file" id="file" name="file"', html)
        assert 'enctype="multipart/form-data"' in html
        answer = client.post("/attach", data={"title": "a"},
                             files={"file": ("a.txt", b"hello", "text/plain")})
        assert '<p id="done">a: 5 bytes</p>' in answer.text
