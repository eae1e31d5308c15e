"""Autocomplete, tags and score as form-model field types, in process: how they render,
how a submission is read and checked (every bad value an error by its field, answered
422, never a 500, whatever is forged), and the autocomplete's suggestion route."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Annotated, Any

import pytest

from appkit import App, Submitted, form_for
from appkit.errors import ConfigurationError
from appkit.html import Page, render
from appkit.testing import Client
from appkit.ui import Autocomplete, Score, Tags, UISettings
from appkit.ui import fields as fields_kit

CITIES = ["Paris", "Porto", "Prague", "Rome", "Oslo", "Lisbon", "Palermo", "Napoli"]
LOOKUPS: list[str] = []


def find_people(text: str) -> list[str]:
    """A function as an autocomplete's options (a query, in an app)."""
    LOOKUPS.append(text)
    people = ["Ada Lovelace", "Alan Turing", "Grace Hopper", "<b>Bobby</b> Tables"]
    return [p for p in people if text.casefold() in p.casefold()]


@dataclass
class Trip:
    city: Annotated[str, Autocomplete(CITIES)]
    tags: Annotated[list[str], Tags(max_count=3, max_length=10)] = field(
        default_factory=list)
    rating: Annotated[int | None, Score(max=5)] = None
    guide: Annotated[str, Autocomplete(find_people, restrict=False)] = ""
    host: Annotated[str | None, Autocomplete(find_people)] = None
    labels: Annotated[list[str], Tags(suggest=Autocomplete(["red", "green", "blue"]))] = (
        field(default_factory=list))


@dataclass
class Review:
    stars: Annotated[int, Score(max=4, labels=("Bad", "Fair", "Good", "Great"))]
    topics: Annotated[list[str], Tags(min_count=1)]
    mood: Annotated[int, Score(max=3)] = 2


def trip_app() -> tuple[App, list[Any]]:
    app = App("fields-test", extensions=[UISettings()])
    saved: list[Any] = []

    @app.get("/")
    def index() -> Any:
        return Page("Trip", form_for(Trip).render(action="/trip"))

    @app.post("/trip")
    def save(form: Submitted[Trip]) -> Any:
        if not form.accepted:
            return form.render(action="/trip")
        saved.append(form.value)
        return "saved"

    @app.post("/review")
    def review(form: Submitted[Review]) -> Any:
        if not form.accepted:
            return form.render(action="/review")
        saved.append(form.value)
        return "saved"

    return app, saved


def base(**changes: Any) -> dict[str, Any]:
    return {"city": "Rome", **changes}


def errors_of(html: str) -> dict[str, str]:
    return dict(re.findall(r'<small id="([\w-]+)-error" class="error" role="alert">(.*?)'
                           r"</small>", html))


# ---- rendering --------------------------------------------------------------------------


def test_the_page_loads_the_fields_assets_once_and_renders_each_kind() -> None:
    app, _ = trip_app()
    with Client(app) as client:
        page = client.get("/").text
    assert page.count("/_appkit/ui/fields.js?v=") == 1
    assert page.count("/_appkit/ui/fields.css?v=") == 1
    city = re.search(r'<input type="text" id="city"[^>]*>', page)
    assert city is not None
    for attr in ('role="combobox"', 'aria-autocomplete="list"', 'aria-expanded="false"',
                 'aria-controls="city-listbox"', 'autocomplete="off"', "required",
                 'hx-trigger="input changed delay:250ms, appkit-suggest"',
                 'hx-include="this"', 'hx-target="#city-listbox"', 'hx-sync="this:replace"'):
        assert attr in city.group(0)
    assert '<ul id="city-listbox" role="listbox"' in page
    assert 'class="appkit-tags" role="group" aria-labelledby="tags-label"' in page
    assert 'aria-describedby="tags-keys"' in page      # how the keys work, for a reader
    # The score: a radio per point, each named, and "no score" for an optional field.
    assert page.count('name="rating"') == 6
    assert '<input type="radio" id="rating-none" name="rating" value="" checked>' in page
    assert 'title="3 of 5"' in page and 'role="radiogroup"' in page


def test_a_required_score_has_no_none_choice_and_names_its_points() -> None:
    html = render(form_for(Review).render({"mood": 2}))
    assert 'id="stars-none"' not in html and 'id="mood-none"' not in html
    assert '<input type="radio" id="mood-2" name="mood" value="2" checked>' in html
    assert all(f">{name}</span>" in html for name in ("Bad", "Fair", "Good", "Great"))


def test_tags_show_again_what_was_sent_and_their_text_is_escaped() -> None:
    html = render(form_for(Trip).render({"tags": ["a, b", '<img src=x onerror="1">']}))
    assert html.count('class="appkit-tag"') == 3
    assert '<span class="appkit-tag-text">a</span>' in html
    assert "<img" not in html and "&lt;img" in html
    assert 'aria-label="Remove b"' in html


def test_a_forged_flood_of_tags_is_not_all_drawn_again() -> None:
    html = render(form_for(Trip).render({"tags": [f"t{i}" for i in range(5000)]}))
    assert html.count('class="appkit-tag"') == fields_kit._SHOWN_MAX


# ---- reading a submission ---------------------------------------------------------------


def test_a_good_submission_is_read_into_the_model() -> None:
    app, saved = trip_app()
    with Client(app) as client:
        answer = client.post("/trip", hx=True, data={
            "city": "  pRAGUE ", "tags": ["work, Trip", "trip", " ", "x"], "rating": "4",
            "guide": "Someone New", "host": "grace hopper", "labels": ["Red", "blue"]})
    assert answer.status_code == 200, answer.text
    assert saved == [Trip(city="Prague", tags=["work", "Trip", "x"], rating=4,
                          guide="Someone New", host="Grace Hopper", labels=["red", "blue"])]


def test_what_is_left_out_takes_the_defaults() -> None:
    app, saved = trip_app()
    with Client(app) as client:
        assert client.post("/trip", hx=True, data={"city": "Oslo"}).status_code == 200
        assert client.post("/trip", hx=True, data={"city": "Oslo", "rating": ""}
                           ).status_code == 200
    assert saved == [Trip(city="Oslo"), Trip(city="Oslo")]
    assert saved[0].tags is not saved[1].tags     # never one list shared by two forms


@pytest.mark.parametrize(("data", "field_name", "message"), [
    (base(city="Paname"), "city", "'Paname' is not one of the choices"),
    ({"city": "   "}, "city", "Required"),
    ({}, "city", "Required"),
    (base(host="Nobody"), "host", "is not one of the choices"),
    (base(tags=["a", "b", "c", "d"]), "tags", "At most 3 tags"),
    (base(tags=["a,b,c,d"]), "tags", "At most 3 tags"),
    (base(tags=["much-too-long"]), "tags", "at most 10 characters (this one has 13)"),
    (base(tags=["new\nline"]), "tags", "cannot hold control characters"),
    (base(labels=["purple"]), "labels", "'purple' is not one of the tags"),
    (base(rating="6"), "rating", "from 1 to 5, not '6'"),
    (base(rating="0"), "rating", "from 1 to 5"),
    (base(rating="-1"), "rating", "from 1 to 5"),
    (base(rating="3.5"), "rating", "from 1 to 5"),
    (base(rating="\u0663"), "rating", "from 1 to 5"),          # an Arabic-Indic 3
    (base(rating="9" * 5000), "rating", "from 1 to 5"),
    (base(guide="x" * 201), "guide", "at most 200 characters"),
    (base(guide="a\x00b"), "guide", "control characters"),
])
def test_each_bad_value_is_an_error_by_its_field(data: dict[str, Any], field_name: str,
                                                 message: str) -> None:
    app, saved = trip_app()
    with Client(app) as client:
        answer = client.post("/trip", hx=True, data=data)
    assert answer.status_code == 422, answer.text
    errors = errors_of(answer.text)
    assert list(errors) == [field_name] and message in errors[field_name], errors
    assert saved == []


def test_several_values_for_a_one_value_field_are_an_error() -> None:
    # A live event carries a name sent twice as a list (HTTP forms give the last value,
    # as for every field).
    form = form_for(Trip)
    assert form.check(base(rating=["2", "3"])).errors == {"rating": "Pick one score"}
    assert form.check(base(city=["Rome", "Oslo"])).errors == {"city": "Give one value"}


def test_required_tags_and_score_and_min_count() -> None:
    app, saved = trip_app()
    with Client(app) as client:
        empty = client.post("/review", hx=True, data={})
        assert empty.status_code == 422
        assert errors_of(empty.text) == {"stars": "Required: pick a score",
                                         "topics": "Required: add at least one tag"}
        ok = client.post("/review", hx=True, data={"stars": "4", "topics": "a"})
        assert ok.status_code == 200
    assert saved == [Review(stars=4, topics=["a"], mood=2)]
    with pytest.raises(ConfigurationError, match="min_count"):
        Tags(max_count=2, min_count=3)

    @dataclass
    class Two:
        names: Annotated[list[str], Tags(min_count=2)] = field(default_factory=list)

    assert form_for(Two).check({"names": ["a"]}).errors == {"names": "At least 2 tags, please"}
    assert form_for(Two).check({"names": ["a", "A"]}).errors == {
        "names": "At least 2 tags, please"}                 # the same tag, once


def test_a_huge_list_of_tags_is_refused_without_reading_it_all() -> None:
    app, saved = trip_app()
    with Client(app) as client:
        flood = client.post("/trip", hx=True, data=base(tags=[f"t{i}" for i in range(900)]))
        one_value = client.post("/trip", hx=True, data=base(tags=",".join(["x"] * 200_000)))
        repeated = client.post("/trip", hx=True, data=base(tags=["same"] * 900))
    assert flood.status_code == 422 and "At most 3 tags" in errors_of(flood.text)["tags"]
    assert flood.text.count('class="appkit-tag"') == fields_kit._SHOWN_MAX
    assert one_value.status_code == 200       # 200,000 times the same tag is one tag
    assert repeated.status_code == 200
    assert [t.tags for t in saved] == [["x"], ["same"]]


def test_bytes_that_are_not_utf8_are_an_error_or_replaced_never_a_500() -> None:
    app, saved = trip_app()
    with Client(app) as client:
        urlencoded = client.post(
            "/trip", hx=True, content=b"city=R%FFme&tags=a%C3&rating=%FE",
            headers={"content-type": "application/x-www-form-urlencoded"})
        multipart = client.post(
            "/trip", hx=True, data={"city": "Rome"},
            files={"tags": ("t.txt", b"\xff\xfe", "text/plain")})
    assert urlencoded.status_code == 422, urlencoded.text
    errors = errors_of(urlencoded.text)
    assert set(errors) == {"city", "rating"}
    assert multipart.status_code == 422, multipart.text
    assert errors_of(multipart.text) == {"tags": "Tags are text, not a file"}
    assert saved == []


def test_a_file_where_text_goes_is_an_error() -> None:
    app, _ = trip_app()
    with Client(app) as client:
        answer = client.post("/trip", hx=True, data={"rating": "2"},
                             files={"city": ("c.txt", b"Rome", "text/plain")})
    assert answer.status_code == 422
    assert errors_of(answer.text)["city"] == "The text is text, not a file or several values"


# ---- suggestions ------------------------------------------------------------------------


def suggest_url(page: str, name: str) -> str:
    found = re.search(rf'hx-get="(/_appkit-ui/suggest/\w+/{name})"', page)
    assert found is not None, name
    return found.group(1)


def options_in(html: str) -> list[str]:
    return re.findall(r'data-value="([^"]*)"', html)


def test_suggestions_start_with_the_text_then_hold_it_ignoring_case() -> None:
    app, _ = trip_app()
    with Client(app) as client:
        url = suggest_url(client.get("/").text, "city")
        found = client.get(url, params={"city": "PO"}, hx=True)
        assert found.status_code == 200
        assert options_in(found.text) == ["Porto", "Napoli"]
        assert '<mark>Po</mark>rto' in found.text and 'Na<mark>po</mark>li' in found.text
        assert 'role="option"' in found.text and 'aria-selected="false"' in found.text
        assert options_in(client.get(url, params={"city": "p"}).text) == [
            "Paris", "Porto", "Prague", "Palermo", "Napoli"]
        assert client.get(url, params={"city": ""}).text == ""      # min_chars=1
        assert client.get(url, params={"city": "zz"}).text == ""
        assert client.get(url).text == ""


def test_a_function_gives_the_suggestions_and_they_are_escaped() -> None:
    app, _ = trip_app()
    with Client(app) as client:
        url = suggest_url(client.get("/").text, "guide")
        found = client.get(url, params={"guide": "b"}).text
    assert options_in(found) == ["&lt;b&gt;Bobby&lt;/b&gt; Tables"]
    assert "<b>" not in found
    assert "b" in LOOKUPS


def test_the_limit_and_min_chars_are_kept() -> None:
    many = Autocomplete([f"item {i}" for i in range(500)], limit=7, min_chars=2)
    assert many.suggest("i") == []
    assert many.suggest("it") == [f"item {i}" for i in range(7)]
    assert many.suggest("item 49") == ["item 49", "item 490", "item 491", "item 492",
                                       "item 493", "item 494", "item 495"]


def test_a_bad_suggestion_request_is_a_clear_4xx() -> None:
    app, _ = trip_app()
    with Client(app) as client:
        url = suggest_url(client.get("/").text, "city")
        unknown = client.get("/_appkit-ui/suggest/nope/city", params={"city": "p"})
        long = client.get(url, params={"city": "p" * 201})
        odd = client.get(url + "?city=%FF%FE")
    assert unknown.status_code == 404 and "reload" in unknown.text
    assert long.status_code == 400 and "at most 200" in long.text
    assert odd.status_code == 200 and options_in(odd.text) == []


def test_the_same_declaration_has_the_same_key_everywhere() -> None:
    first = Autocomplete(["a", "b"])
    assert Autocomplete(["a", "b"]).key == first.key
    assert Autocomplete(["a", "c"]).key != first.key
    assert Autocomplete(["a", "b"], restrict=False).key != first.key
    assert Autocomplete(find_people).key == Autocomplete(find_people).key
    assert (Autocomplete(lambda t: [t]).key
            != Autocomplete(lambda t: [t, t]).key)
    assert Autocomplete(["x"], name="city-picker").key == "city-picker"


# ---- declaring them ---------------------------------------------------------------------


@pytest.mark.parametrize(("annotation", "message"), [
    ("Annotated[int, Autocomplete(['a'])]", "Annotated\\[str, Autocomplete"),
    ("Annotated[str, Tags()]", "Annotated\\[list\\[str\\], Tags"),
    ("Annotated[list[int], Tags()]", "Annotated\\[list\\[str\\], Tags"),
    ("Annotated[str, Score()]", "Annotated\\[int, Score"),
])
def test_a_kind_on_the_wrong_type_is_refused_when_the_form_is_made(annotation: str,
                                                                  message: str) -> None:
    namespace: dict[str, Any] = {"Annotated": Annotated, "Autocomplete": Autocomplete,
                                 "Tags": Tags, "Score": Score}
    cls = dataclasses.make_dataclass("Bad", [("x", eval(annotation, namespace))])  # noqa: S307
    with pytest.raises(ConfigurationError, match=f"field 'x' of Bad has .*{message}"):
        form_for(cls)


@pytest.mark.parametrize(("make", "message"), [
    (lambda: Autocomplete("Paris"), "not the string 'Paris'"),
    (lambda: Autocomplete([1, 2]), "strings, not 1"),
    (lambda: Autocomplete(["a"], limit=0), "limit is a whole number from 1 to 100"),
    (lambda: Autocomplete(["a"], name="no spaces"), "name is letters"),
    (lambda: Tags(max_count=0), "max_count is a whole number from 1"),
    (lambda: Score(max=1), "max is a whole number from 2 to 10"),
    (lambda: Score(max=3, labels=("a", "b")), "has 3 labels"),
    (lambda: Score(icon="no-such-icon"), "No icon is called"),
])
def test_bad_settings_are_refused_where_they_are_written(make: Any, message: str) -> None:
    with pytest.raises(Exception, match=message):
        make()


def test_a_pydantic_model_takes_them_too() -> None:
    pydantic = pytest.importorskip("pydantic")

    class Note(pydantic.BaseModel):
        tags: Annotated[list[str], Tags(max_count=2)] = []
        stars: Annotated[int, Score(max=3)] = 1
        city: Annotated[str, Autocomplete(CITIES)] = "Rome"

    form = form_for(Note)
    good = form.check({"tags": ["a,b"], "stars": "3", "city": "oslo"})
    assert good.accepted and good.value == Note(tags=["a", "b"], stars=3, city="Oslo")
    bad = form.check({"tags": ["a,b,c"], "stars": "4", "city": "Nowhere"})
    assert set(bad.errors) == {"tags", "stars", "city"}


def test_without_the_kit_install_adds_the_assets_and_route_once() -> None:
    app = App("fields-alone")
    fields_kit.install(app)
    fields_kit.install(app)

    @app.get("/")
    def index() -> Any:
        return Page("Trip", form_for(Trip).render(action="/"))

    with Client(app) as client:
        page = client.get("/").text
        assert page.count("/_appkit/ui/fields.js?v=") == 1
        url = suggest_url(page, "city")
        assert options_in(client.get(url, params={"city": "rom"}).text) == ["Rome"]


def test_a_live_form_component_checks_them_as_they_change() -> None:
    from appkit.live import FormComponent

    class NewTrip(FormComponent):
        model = Trip

    html = render(NewTrip.form_model().render(
        {}, {}, field_attrs=lambda f: {"hx_post": "/x", "hx_trigger": "change"}))
    # The live attributes go on the element that hears the field's "change", never on
    # the combobox's input (which has its own hx-get).
    assert '<div class="appkit-combobox" hx-post="/x" hx-trigger="change">' in html
    assert 'class="appkit-tags" role="group" aria-labelledby="tags-label" ' \
           'data-appkit-tags data-max-count="3" data-label="Tags" hx-post="/x"' in html
    assert 'role="radiogroup" hx-post="/x"' in html
    assert not re.search(r"<input[^>]*hx-get[^>]*hx-post", html)


def test_a_kind_in_the_fields_metadata_works_as_in_its_annotation() -> None:
    @dataclass
    class Post:
        topics: list[str] = field(default_factory=list,
                                  metadata={"widget": Tags(max_count=2), "label": "Topics"})

    form = form_for(Post)
    assert 'data-appkit-tags data-max-count="2"' in render(form.render())
    assert form.check({"topics": ["a, b"]}).value == Post(topics=["a", "b"])
    assert form.check({"topics": ["a, b, c"]}).errors == {"topics": "At most 2 tags: remove some"}


def test_other_annotated_fields_keep_their_controls() -> None:
    @dataclass
    class Plain:
        count: Annotated[int, "a note"] | None = None
        name: Annotated[str, "another"] = ""

    form = form_for(Plain)
    assert [(f.type, f.kind) for f in form.fields] == [("number", None), ("text", None)]
    assert form.check({"count": "3", "name": "x"}).value == Plain(count=3, name="x")


def test_min_chars_zero_suggests_on_focus() -> None:
    @dataclass
    class Pick:
        colour: Annotated[str, Autocomplete(["red", "green", "blue"], min_chars=0, limit=2)]

    html = render(form_for(Pick).render())
    assert 'hx-trigger="input changed delay:250ms, appkit-suggest, focus"' in html
    assert Autocomplete(["red", "green", "blue"], min_chars=0, limit=2).suggest("") == [
        "red", "green"]


# ---- values and labels ------------------------------------------------------------------

CUSTOMERS = {1: "Acme", 2: "Globex", 3: "Initech", 14: "Acme Labs"}
CUSTOMER_LOOKUPS: list[str] = []


def find_customers(text: str) -> list[tuple[int, str]]:
    """A function returning (value, label) pairs (a query, in an app)."""
    CUSTOMER_LOOKUPS.append(text)
    return [(k, v) for k, v in CUSTOMERS.items() if text.casefold() in v.casefold()]


def customer_label(value: int) -> str | None:
    return CUSTOMERS.get(value)


@dataclass
class Order:
    customer: Annotated[int, Autocomplete(list(CUSTOMERS.items()))]
    region: Annotated[str | None, Autocomplete({"eu": "Europe", "us": "United States"})] = None
    payer: Annotated[int | None, Autocomplete(find_customers, label_of=customer_label)] = None


def order_app() -> tuple[App, list[Any]]:
    app = App("fields-pairs", extensions=[UISettings()])
    saved: list[Any] = []

    @app.get("/")
    def index() -> Any:
        return Page("Order", form_for(Order).render(action="/order"))

    @app.get("/edit")
    def edit() -> Any:          # a stored order, shown again
        return Page("Order", form_for(Order).render(Order(customer=14, region="us", payer=2),
                                                    action="/order"))

    @app.post("/order")
    def save(form: Submitted[Order]) -> Any:
        if not form.accepted:
            return form.render(action="/order")
        saved.append(form.value)
        return "saved"

    return app, saved


def test_pairs_post_the_value_typed_and_show_the_label() -> None:
    app, saved = order_app()
    with Client(app) as client:
        answer = client.post("/order", hx=True, data={"customer": "14", "region": "eu",
                                                      "payer": "3"})
        assert answer.status_code == 200, answer.text
        assert saved == [Order(customer=14, region="eu", payer=3)]   # ints, not "14"
        edited = client.get("/edit").text
    # The text input shows the label and sends nothing; the hidden input sends the value.
    shown = re.search(r'<input type="text" id="customer"[^>]*>', edited)
    assert shown is not None and 'value="Acme Labs"' in shown.group(0)
    assert 'form="appkit-no-form"' in shown.group(0)
    assert '<input type="hidden" name="customer" value="14" data-appkit-value>' in edited
    assert re.search(r'<input type="text" id="region"[^>]*value="United States"', edited)
    assert '<input type="hidden" name="region" value="us" data-appkit-value>' in edited
    payer = re.search(r'<input type="text" id="payer"[^>]*>', edited)
    assert payer is not None and 'value="Globex"' in payer.group(0)   # label_of


def test_a_label_typed_in_full_is_its_value_and_the_suggestions_carry_values() -> None:
    app, saved = order_app()
    with Client(app) as client:
        answer = client.post("/order", hx=True, data={"customer": "  initech ",
                                                      "payer": "globex"})
        assert answer.status_code == 200 and saved == [Order(customer=3, payer=2)]
        ac = form_for(Order).fields[0].kind     # the field's autocomplete, for its route
        assert isinstance(ac, Autocomplete) and ac.pairs
        found = client.get(f"/_appkit-ui/suggest/{ac.key}/customer?customer=acm").text
    assert re.findall(r'data-value="(\d+)" data-label="([^"]+)"', found) == [
        ("1", "Acme"), ("14", "Acme Labs")]
    assert "<mark>Acm</mark>e Labs" in found


@pytest.mark.parametrize("data", [
    {"customer": "99"},                        # a value no choice has
    {"customer": "Acme Corp"},                 # a label no choice has
    {"customer": "1; DROP TABLE x"},
    {"customer": "1", "region": "fr"},
    {"customer": "1", "payer": "99"},           # the function's label_of has none
    {"customer": "1", "payer": "-1"},
    {"customer": "1", "payer": "9" * 30},
    {"customer": ""},                          # required
])
def test_a_forged_value_is_the_fields_error_never_a_500(data: dict[str, Any]) -> None:
    app, saved = order_app()
    with Client(app) as client:
        answer = client.post("/order", hx=True, data=data)
    assert answer.status_code == 422, answer.text
    errors = errors_of(answer.text)
    assert errors and saved == []
    assert set(errors) <= {"customer", "region", "payer"}


def test_a_refused_value_is_shown_again_as_it_was_sent() -> None:
    app, _ = order_app()
    with Client(app) as client:
        answer = client.post("/order", hx=True, data={"customer": "Acme Corp"})
    assert answer.status_code == 422
    assert re.search(r'<input type="text" id="customer"[^>]*value="Acme Corp"', answer.text)
    assert "is not one of the choices" in errors_of(answer.text)["customer"]


@pytest.mark.parametrize(("make", "message"), [
    (lambda: Autocomplete([(1, "a"), (1, "b")]), "values are unique"),
    (lambda: Autocomplete([(1, "a", "x")]), "pairs are (value, label)"),
    (lambda: Autocomplete([(1, 2)]), "the label a str"),
    (lambda: Autocomplete([(1.5, "x")]), "the value a str or an int"),
    (lambda: Autocomplete({1: "a"}, restrict=False), "leave restrict=True"),
    (lambda: Autocomplete(["a"], label_of=str), "label_of goes with options that are a "),
    (lambda: Tags(suggest=Autocomplete({1: "a"})), "Tags suggest text"),
])
def test_bad_pairs_are_refused_where_they_are_written(make: Any, message: str) -> None:
    with pytest.raises(ConfigurationError, match=re.escape(message)):
        make()


def test_pairs_need_a_field_of_their_values_type() -> None:
    @dataclass
    class Wrong:
        customer: Annotated[str, Autocomplete([(1, "Acme")])]

    @dataclass
    class Floaty:
        customer: Annotated[float, Autocomplete([(1, "Acme")])]

    with pytest.raises(ConfigurationError, match="is str, but its Autocomplete has the "
                                                 "value 1"):
        form_for(Wrong)
    with pytest.raises(ConfigurationError, match="annotate it with the values' type"):
        form_for(Floaty)


def test_autofocus_goes_on_the_control_a_keyboard_user_types_in() -> None:
    """A grid's edit row focuses its first field: for these kinds, their input (or the
    score's checked radio), not the group around it."""
    model = form_for(Order)
    focus: Any = lambda f: {"autofocus": True}   # noqa: E731
    html = render(model.render({"customer": 14}, field_attrs=focus))
    assert re.search(r'<input type="text" id="customer"[^>]*autofocus', html)
    assert not re.search(r'<div class="appkit-combobox"[^>]*autofocus', html)
    trip = render(form_for(Trip).render({"city": "Rome", "rating": 4},
                                        field_attrs=lambda f: {"autofocus": f.name != "city"}))
    assert re.search(r'<input type="text" id="tags"[^>]*autofocus', trip)
    assert '<input type="radio" id="rating-4" name="rating" value="4" checked autofocus>' in trip
    assert not re.search(r'<(div|fieldset)[^>]*autofocus', trip)
