"""appkit.html.forms: fill_form, form_values, Field and Hidden."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from typing import Any

import pytest

from appkit import App, UploadFile
from appkit.html import (
    Button,
    Div,
    Element,
    Field,
    Fieldset,
    Form,
    Hidden,
    Input,
    Label,
    Optgroup,
    Option,
    P,
    Safe,
    Select,
    Textarea,
    fill_form,
    form_values,
    render,
)
from appkit.testing import Client


class Color(enum.Enum):
    RED = "red"
    GREEN = "green"


class Size(enum.IntEnum):
    SMALL = 1
    LARGE = 2


@dataclasses.dataclass
class Task:
    title: str
    notes: str
    done: bool
    color: Color
    due: dt.date


TASK = Task(title="Write <tests>", notes="line 1\nline 2", done=True, color=Color.GREEN,
            due=dt.date(2024, 3, 9))

TASK_FORM = Form(
    Input(name="title"),
    Textarea(name="notes"),
    Input(type="checkbox", name="done"),
    Select(Option("Red", value="red"), Option("Green", value="green"), name="color"),
    Input(type="date", name="due"),
    Button("Save", type="submit"),
    method="post",
)


# ---- fill_form: the whole form --------------------------------------------------------------


def test_fill_form_from_dataclass() -> None:
    assert render(fill_form(TASK_FORM, TASK)) == (
        '<form method="post">'
        '<input name="title" value="Write &lt;tests&gt;">'
        '<textarea name="notes">line 1\nline 2</textarea>'
        '<input type="checkbox" name="done" checked>'
        '<select name="color"><option value="red">Red</option>'
        '<option value="green" selected>Green</option></select>'
        '<input type="date" name="due" value="2024-03-09">'
        '<button type="submit">Save</button>'
        "</form>"
    )


def test_fill_form_from_dict_matches_dataclass() -> None:
    assert render(fill_form(TASK_FORM, dataclasses.asdict(TASK))) == render(
        fill_form(TASK_FORM, TASK)
    )


def test_fill_form_from_plain_object_attributes() -> None:
    class Obj:
        def __init__(self) -> None:
            self.title = "From object"

    assert render(fill_form(Input(name="title"), Obj())) == (
        '<input name="title" value="From object">'
    )


def test_fill_form_rejects_values_without_fields() -> None:
    with pytest.raises(TypeError, match="fill_form needs a dataclass instance.*not a int"):
        fill_form(TASK_FORM, 42)


def test_fill_form_leaves_the_original_form_untouched() -> None:
    before = render(TASK_FORM)
    filled = fill_form(TASK_FORM, TASK)
    assert filled is not TASK_FORM
    assert render(TASK_FORM) == before
    assert before == (
        '<form method="post"><input name="title"><textarea name="notes"></textarea>'
        '<input type="checkbox" name="done"><select name="color">'
        '<option value="red">Red</option><option value="green">Green</option></select>'
        '<input type="date" name="due"><button type="submit">Save</button></form>'
    )


def test_one_form_can_be_filled_for_many_records() -> None:
    form = Form(Input(name="title"))
    first = fill_form(form, {"title": "one"})
    second = fill_form(form, {"title": "two"})
    assert render(first) == '<form><input name="title" value="one"></form>'
    assert render(second) == '<form><input name="title" value="two"></form>'


def test_controls_whose_name_is_missing_are_left_untouched() -> None:
    form = Form(Input(name="title", value="keep"), Input(type="checkbox", name="x", checked=True),
                Textarea("keep me", name="notes"))
    assert render(fill_form(form, {"other": "zzz"})) == (
        '<form><input name="title" value="keep"><input type="checkbox" name="x" checked>'
        '<textarea name="notes">keep me</textarea></form>'
    )


def test_fill_form_finds_controls_nested_in_wrappers_and_lists() -> None:
    form = Form(Fieldset(Div(Label("T", Input(name="title")))), [Div(Input(name="b"))])
    assert render(fill_form(form, {"title": "x", "b": "y"})) == (
        '<form><fieldset><div><label>T<input name="title" value="x"></label></div></fieldset>'
        '<div><input name="b" value="y"></div></form>'
    )


def test_fill_form_accepts_a_list_of_nodes() -> None:
    filled = fill_form([Input(name="a"), Input(name="b")], {"a": 1, "b": 2})
    assert isinstance(filled, list)
    assert render(filled) == '<input name="a" value="1"><input name="b" value="2">'


# ---- text-like inputs -----------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["text", "email", "number", "search", "url", "tel", "hidden"])
def test_text_like_inputs_get_value(kind: str) -> None:
    assert render(fill_form(Input(type=kind, name="f"), {"f": "v"})) == (
        f'<input type="{kind}" name="f" value="v">'
    )


def test_input_without_type_is_text() -> None:
    assert render(fill_form(Input(name="n"), {"n": 3})) == '<input name="n" value="3">'


def test_value_replaces_existing_value() -> None:
    assert render(fill_form(Input(name="n", value="old"), {"n": "new"})) == (
        '<input name="n" value="new">'
    )


def test_none_value_removes_the_value_attribute() -> None:
    assert render(fill_form(Input(name="n", value="old"), {"n": None})) == '<input name="n">'


def test_value_is_escaped() -> None:
    assert render(fill_form(Input(name="n"), {"n": '"><script>'})) == (
        '<input name="n" value="&quot;&gt;&lt;script&gt;">'
    )


def test_zero_value_is_filled() -> None:
    assert render(fill_form(Input(type="number", name="n"), {"n": 0})) == (
        '<input type="number" name="n" value="0">'
    )


def test_enum_values_are_written_as_their_value() -> None:
    assert render(fill_form(Input(name="c"), {"c": Color.RED})) == '<input name="c" value="red">'
    assert render(fill_form(Input(name="s"), {"s": Size.LARGE})) == '<input name="s" value="2">'


def test_date_value() -> None:
    assert render(fill_form(Input(type="date", name="d"), {"d": dt.date(2024, 1, 2)})) == (
        '<input type="date" name="d" value="2024-01-02">'
    )


def test_datetime_value_without_seconds_is_written_to_the_minute() -> None:
    form = Input(type="datetime-local", name="at")
    assert render(fill_form(form, {"at": dt.datetime(2024, 5, 6, 7, 8)})) == (
        '<input type="datetime-local" name="at" value="2024-05-06T07:08">'
    )


def test_datetime_value_with_seconds_keeps_seconds() -> None:
    form = Input(type="datetime-local", name="at")
    assert render(fill_form(form, {"at": dt.datetime(2024, 5, 6, 7, 8, 9, 123)})) == (
        '<input type="datetime-local" name="at" value="2024-05-06T07:08:09">'
    )


@pytest.mark.parametrize("kind", ["password", "PASSWORD", "file"])
def test_password_and_file_inputs_are_never_filled(kind: str) -> None:
    form = Form(Input(type=kind, name="secret"))
    assert render(fill_form(form, {"secret": "hunter2"})).endswith(
        f'><input type="{kind}" name="secret"></form>'
    )


@pytest.mark.parametrize("kind", ["submit", "button", "reset"])
def test_button_like_inputs_keep_their_label(kind: str) -> None:
    form = Input(type=kind, name="action", value="Save")
    assert render(fill_form(form, {"action": "other"})) == (
        f'<input type="{kind}" name="action" value="Save">'
    )


# ---- checkboxes -----------------------------------------------------------------------------


def test_checkbox_checked_when_value_truthy() -> None:
    box = Input(type="checkbox", name="done")
    assert render(fill_form(box, {"done": True})) == '<input type="checkbox" name="done" checked>'


def test_checkbox_unchecked_when_value_falsy_even_if_checked_before() -> None:
    box = Input(type="checkbox", name="done", checked=True)
    assert render(fill_form(box, {"done": False})) == '<input type="checkbox" name="done">'
    assert render(fill_form(box, {"done": 0})) == '<input type="checkbox" name="done">'
    assert render(fill_form(box, {"done": None})) == '<input type="checkbox" name="done">'


def test_checkbox_with_own_value_and_bool() -> None:
    box = Input(type="checkbox", name="ok", value="yes")
    assert 'checked' in render(fill_form(box, {"ok": True}))
    assert 'checked' not in render(fill_form(box, {"ok": False}))


def test_checkbox_with_own_value_checked_when_value_matches() -> None:
    box = Input(type="checkbox", name="color", value="red")
    assert render(fill_form(box, {"color": "red"})) == (
        '<input type="checkbox" name="color" value="red" checked>'
    )
    assert render(fill_form(box, {"color": "blue"})) == (
        '<input type="checkbox" name="color" value="red">'
    )
    assert "checked" in render(fill_form(box, {"color": Color.RED}))


def test_checkbox_group_with_list_value() -> None:
    group = Form(*(Input(type="checkbox", name="tags", value=t) for t in ["a", "b", "c"]))
    assert render(fill_form(group, {"tags": ["a", "c"]})) == (
        '<form><input type="checkbox" name="tags" value="a" checked>'
        '<input type="checkbox" name="tags" value="b">'
        '<input type="checkbox" name="tags" value="c" checked></form>'
    )


def test_checkbox_group_with_set_of_ints_and_enums() -> None:
    group = [Input(type="checkbox", name="n", value=str(i)) for i in (1, 2)] + [
        Input(type="checkbox", name="c", value="green")]
    html = render(fill_form(group, {"n": {2}, "c": (Color.GREEN,)}))
    assert html == (
        '<input type="checkbox" name="n" value="1">'
        '<input type="checkbox" name="n" value="2" checked>'
        '<input type="checkbox" name="c" value="green" checked>'
    )


def test_checkbox_with_empty_list_value_is_unchecked() -> None:
    box = Input(type="checkbox", name="tags", value="a", checked=True)
    assert render(fill_form(box, {"tags": []})) == '<input type="checkbox" name="tags" value="a">'


# ---- radios ---------------------------------------------------------------------------------


def _radios() -> Element:
    return Form(*(Input(type="radio", name="color", value=c) for c in ["red", "green"]))


def test_radio_matching_value_is_checked_and_others_not() -> None:
    assert render(fill_form(_radios(), {"color": "green"})) == (
        '<form><input type="radio" name="color" value="red">'
        '<input type="radio" name="color" value="green" checked></form>'
    )


def test_radio_with_enum_value() -> None:
    assert render(fill_form(_radios(), {"color": Color.RED})) == (
        '<form><input type="radio" name="color" value="red" checked>'
        '<input type="radio" name="color" value="green"></form>'
    )


def test_radio_none_value_unchecks_all() -> None:
    form = Form(Input(type="radio", name="color", value="red", checked=True))
    assert render(fill_form(form, {"color": None})) == (
        '<form><input type="radio" name="color" value="red"></form>'
    )


def test_radio_with_int_value() -> None:
    form = Form(*(Input(type="radio", name="n", value=i) for i in (1, 2)))
    assert render(fill_form(form, {"n": 2})) == (
        '<form><input type="radio" name="n" value="1">'
        '<input type="radio" name="n" value="2" checked></form>'
    )


# ---- select ---------------------------------------------------------------------------------


def test_select_marks_the_matching_option() -> None:
    select = Select(Option("A", value="a"), Option("B", value="b", selected=True), name="s")
    assert render(fill_form(select, {"s": "a"})) == (
        '<select name="s"><option value="a" selected>A</option>'
        '<option value="b">B</option></select>'
    )


def test_select_option_without_value_matches_its_text() -> None:
    select = Select(Option("small"), Option("large"), name="s")
    assert render(fill_form(select, {"s": "large"})) == (
        '<select name="s"><option>small</option><option selected>large</option></select>'
    )


def test_select_with_enum_and_int_values() -> None:
    select = Select(Option("1", value=1), Option("2", value=2), name="size")
    assert render(fill_form(select, {"size": Size.LARGE})) == (
        '<select name="size"><option value="1">1</option>'
        '<option value="2" selected>2</option></select>'
    )


def test_select_multiple_with_list_and_optgroups() -> None:
    select = Select(
        Optgroup(Option("A", value="a"), Option("B", value="b"), label="First"),
        Option("C", value="c"),
        name="s",
        multiple=True,
    )
    assert render(fill_form(select, {"s": ["b", "c"]})) == (
        '<select name="s" multiple><optgroup label="First">'
        '<option value="a">A</option><option value="b" selected>B</option></optgroup>'
        '<option value="c" selected>C</option></select>'
    )


def test_select_with_options_given_as_a_list() -> None:
    # Select([Option(...) for ...], name=...) renders fine, so it must fill too.
    select = Select([Option(x, value=x) for x in ("a", "b")], name="s")
    assert render(fill_form(select, {"s": "b"})) == (
        '<select name="s"><option value="a">a</option>'
        '<option value="b" selected>b</option></select>'
    )


def test_select_fill_leaves_original_options_untouched() -> None:
    select = Select(Option("A", value="a"), name="s")
    fill_form(select, {"s": "a"})
    assert render(select) == '<select name="s"><option value="a">A</option></select>'


# ---- textarea -------------------------------------------------------------------------------


def test_textarea_gets_text_replacing_existing_text() -> None:
    area = Textarea("old", name="notes", rows=3)
    assert render(fill_form(area, {"notes": "a < b"})) == (
        '<textarea name="notes" rows="3">a &lt; b</textarea>'
    )


def test_textarea_none_value_is_empty() -> None:
    assert render(fill_form(Textarea("old", name="n"), {"n": None})) == (
        '<textarea name="n"></textarea>'
    )


def test_textarea_cannot_be_closed_by_value() -> None:
    assert render(fill_form(Textarea(name="n"), {"n": "</textarea><script>"})) == (
        '<textarea name="n">&lt;/textarea&gt;&lt;script&gt;</textarea>'
    )


# ---- form_values ----------------------------------------------------------------------------


def test_form_values_of_dataclass_dict_and_object() -> None:
    assert form_values(Task("t", "n", False, Color.RED, dt.date(2024, 1, 1))) == {
        "title": "t", "notes": "n", "done": False, "color": Color.RED,
        "due": dt.date(2024, 1, 1),
    }
    source = {"a": 1}
    values = form_values(source)
    assert values == {"a": 1}
    values["b"] = 2
    assert source == {"a": 1}


# ---- Hidden ---------------------------------------------------------------------------------


def test_hidden() -> None:
    assert render(Hidden("next", "/home")) == '<input type="hidden" name="next" value="/home">'


def test_hidden_with_number_enum_and_extra_attributes() -> None:
    assert render(Hidden("id", 5, id="task-id")) == (
        '<input type="hidden" name="id" value="5" id="task-id">'
    )
    assert render(Hidden("c", Color.RED)) == '<input type="hidden" name="c" value="red">'


def test_hidden_default_value_is_empty() -> None:
    assert render(Hidden("x")) == '<input type="hidden" name="x" value="">'


def test_hidden_none_is_not_the_text_none() -> None:
    # Hidden("id", obj.id) with obj.id None must not submit the string "None".
    assert 'value="None"' not in render(Hidden("id", None))


# ---- Field ----------------------------------------------------------------------------------


def test_field_text_input() -> None:
    assert render(Field("Title", "title")) == (
        '<div class="field"><label for="title">Title</label>'
        '<input type="text" id="title" name="title">'
        '<small id="title-error" class="help"></small></div>'
    )


def test_field_with_value_and_error() -> None:
    assert render(Field("Title", "title", value='a"b', error="Required <!>")) == (
        '<div class="field"><label for="title">Title</label>'
        '<input type="text" value="a&quot;b" id="title" name="title" aria-invalid="true"'
        ' aria-describedby="title-error">'
        '<small id="title-error" class="error" role="alert">Required &lt;!&gt;</small></div>'
    )


def test_field_without_error_is_not_marked_invalid() -> None:
    html = render(Field("Title", "title", error=None))
    assert "aria-invalid" not in html and 'role="alert"' not in html


def test_field_help_text() -> None:
    assert render(Field("Email", "email", type="email", help="We never share it")) == (
        '<div class="field"><label for="email">Email</label>'
        '<input type="email" id="email" name="email">'
        '<small id="email-error" class="help">We never share it</small></div>'
    )


def test_field_error_wins_over_help() -> None:
    html = render(Field("Email", "email", help="Help", error="Bad"))
    assert '<small id="email-error" class="error" role="alert">Bad</small>' in html
    assert "Help" not in html


def test_field_custom_id_and_extra_attributes_go_on_the_control() -> None:
    assert render(Field("Email", "email", type="email", id="em", placeholder="you@x",
                        required=True, error="Bad")) == (
        '<div class="field"><label for="em">Email</label>'
        '<input type="email" id="em" name="email" placeholder="you@x" required'
        ' aria-invalid="true" aria-describedby="em-error">'
        '<small id="em-error" class="error" role="alert">Bad</small></div>'
    )


def test_field_value_types() -> None:
    assert 'value="2024-01-02"' in render(Field("Due", "due", type="date",
                                                value=dt.date(2024, 1, 2)))
    assert 'value="red"' in render(Field("Color", "c", value=Color.RED))
    assert 'value="0"' in render(Field("N", "n", type="number", value=0))


def test_field_textarea() -> None:
    assert render(Field("Notes", "notes", type="textarea", value="a < b", rows=4)) == (
        '<div class="field"><label for="notes">Notes</label>'
        '<textarea id="notes" name="notes" rows="4">a &lt; b</textarea>'
        '<small id="notes-error" class="help"></small></div>'
    )


def test_field_textarea_without_value_is_empty() -> None:
    assert '<textarea id="n" name="n"></textarea>' in render(Field("N", "n", type="textarea"))


def test_field_select_from_list() -> None:
    assert render(Field("Color", "color", type="select", options=["red", "green"],
                        value="green")) == (
        '<div class="field"><label for="color">Color</label>'
        '<select id="color" name="color"><option value="red">red</option>'
        '<option value="green" selected>green</option></select>'
        '<small id="color-error" class="help"></small></div>'
    )


def test_field_select_from_dict_and_pairs() -> None:
    expected = ('<select id="c" name="c"><option value="r">Red</option>'
                '<option value="g" selected>Green</option></select>')
    assert expected in render(Field("C", "c", type="select", options={"r": "Red", "g": "Green"},
                                    value="g"))
    assert expected in render(Field("C", "c", type="select",
                                    options=[("r", "Red"), ("g", "Green")], value="g"))


def test_field_select_multiple_with_list_value() -> None:
    html = render(Field("C", "c", type="select", options=["a", "b", "c"], value=["a", "c"],
                        multiple=True))
    assert ('<select id="c" name="c" multiple><option value="a" selected>a</option>'
            '<option value="b">b</option><option value="c" selected>c</option></select>') in html


def test_field_select_with_enum_value() -> None:
    html = render(Field("C", "c", type="select", options=[("red", "Red"), ("green", "Green")],
                        value=Color.GREEN))
    assert '<option value="green" selected>Green</option>' in html


def test_field_select_with_error() -> None:
    html = render(Field("C", "c", type="select", options=["a"], error="Pick one"))
    assert '<select id="c" name="c" aria-invalid="true" aria-describedby="c-error">' in html
    assert '<small id="c-error" class="error" role="alert">Pick one</small>' in html


def test_field_checkbox_has_the_box_inside_its_label() -> None:
    assert render(Field("Agree", "agree", type="checkbox", value=True)) == (
        '<div class="field"><label for="agree">'
        '<input type="checkbox" checked id="agree" name="agree"> Agree</label>'
        '<small id="agree-error" class="help"></small></div>'
    )


def test_field_checkbox_unchecked_with_error() -> None:
    assert render(Field("Agree", "agree", type="checkbox", value=False, error="Must agree")) == (
        '<div class="field"><label for="agree">'
        '<input type="checkbox" id="agree" name="agree" aria-invalid="true"'
        ' aria-describedby="agree-error"> Agree</label>'
        '<small id="agree-error" class="error" role="alert">Must agree</small></div>'
    )


def test_field_label_is_escaped() -> None:
    assert '<label for="x">A &amp; B &lt;c&gt;</label>' in render(Field("A & B <c>", "x"))


def test_field_can_be_filled_by_fill_form() -> None:
    form = Form(Field("Title", "title"), Field("Notes", "notes", type="textarea"),
                Field("Pw", "pw", type="password"))
    values: dict[str, Any] = {"title": "T", "notes": "N", "pw": "secret"}
    html = render(fill_form(form, values))
    assert '<input type="text" value="T" id="title" name="title">' in html
    assert '<textarea id="notes" name="notes">N</textarea>' in html
    assert "secret" not in html


# ---- a form with a file input is sent as multipart/form-data ----------------------------


def test_a_form_with_a_file_input_is_multipart() -> None:
    html = render(Form(Field("Picture", "picture", type="file"), Button("Send"), method="post"))
    assert html.startswith('<form method="post" enctype="multipart/form-data">')
    assert "hx-encoding" not in html  # a plain form: the browser reads enctype


def test_a_nested_file_input_counts_and_htmx_gets_hx_encoding() -> None:
    form = Form(Fieldset(Div(Input(type="file", name="doc"))), hx_post="/upload", id="up")
    assert render(form).startswith(
        '<form hx-post="/upload" id="up" enctype="multipart/form-data"'
        ' hx-encoding="multipart/form-data">')
    # The request may come from a button inside the form: hx-encoding is inherited.
    sent_by_button = Form(Input(type="file", name="doc"), Button("Up", hx_put="/up"))
    assert 'hx-encoding="multipart/form-data"' in render(sent_by_button)


def test_file_inputs_in_generated_or_raw_children_count() -> None:
    generated = Form(Input(type=kind, name=kind) for kind in ("text", "file"))
    assert 'enctype="multipart/form-data"' in render(generated)
    raw = Form(Safe("<INPUT TYPE=File name=z>"))
    assert render(raw).startswith('<form enctype="multipart/form-data">')


def test_a_form_without_a_file_input_or_with_its_own_enctype_is_left_alone() -> None:
    assert render(Form(Input(name="a"), P('type="file"'), hx_post="/x")) == (
        '<form hx-post="/x"><input name="a"><p>type="file"</p></form>')
    own = Form(Input(type="file", name="f"), enctype="text/plain", hx_post="/x")
    assert render(own) == (
        '<form enctype="text/plain" hx-post="/x"><input type="file" name="f"></form>')
    kept = render(Form(Input(type="file", name="f"), hx_post="/x", hx_encoding="x"))
    assert 'hx-encoding="x"' in kept and kept.count("hx-encoding") == 1


def test_an_upload_through_a_form_without_enctype_arrives() -> None:
    """What a browser does with the page's form: multipart when the form says so, else
    URL-encoded, which carries only the file's name (and the handler answers 400)."""
    app = App("uploads")

    @app.get("/")
    def index() -> Any:
        return Form(Field("Picture", "picture", type="file"), Button("Send"), method="post",
                    action="/avatar")

    @app.post("/avatar")
    async def avatar(picture: UploadFile) -> dict[str, Any]:
        return {"file": picture.filename, "bytes": len(await picture.read())}

    with Client(app) as client:
        form = client.get("/").text
        if 'enctype="multipart/form-data"' in form:
            sent = client.post("/avatar", files={"picture": ("me.png", b"\x89PNG")})
        else:
            sent = client.post("/avatar", data={"picture": "me.png"})
        assert sent.status_code == 200, sent.text
        assert sent.json() == {"file": "me.png", "bytes": 4}
