"""Rendering benchmark: appkit.html (as written, and compiled) vs FastHTML vs Jinja2.

Run from the repository root:

    .venv/bin/python bench/render.py           # full run (repeat=7, ~0.2 s per repeat)
    .venv/bin/python bench/render.py --quick   # fewer, shorter repeats (a smoke test)

Two workloads, each producing the same HTML from all three implementations (checked
byte for byte before anything is timed; nothing is normalised):

* ``table``: a 1,000-row table (id, a name that needs escaping, email, a float score and a
  link with ``href`` and ``class`` per row).
* ``page``: a typical full document: head (title, meta, stylesheet, script), a nav with 8
  links, a main with a heading, an htmx form with 6 labelled controls (text, email,
  checkbox, select with 10 options, textarea, submit button), 20 cards (article with h3, p
  and two htmx buttons carrying hx-confirm, one of them hx-delete) and a footer.

For appkit and FastHTML each iteration builds the tree *and* renders it, as a request
handler would. Jinja2 renders a template compiled once up front (autoescape on), as a
Jinja2 app would. All three get the same input data (a list of dataclass rows).

``appkit-compiled`` is the same two appkit functions with ``@compiled``
(``appkit.html.compiled``): the function runs as written each time, but the trees it returns
have their tags, attribute names and literals rendered once, when it was decorated.

Timing: ``timeit`` with the garbage collector left on (building trees allocates, and a
server runs with the collector on; ``--no-gc`` turns it off, as timeit does by default).
``repeat`` runs per implementation, interleaved implementation by implementation, with
``number`` doubled until one run takes at least ~0.2 s (like ``Timer.autorange``); the
figure reported is the best run divided by ``number``.

FastHTML notes, so that its output matches without any normalising:

* ``fh.Form`` adds ``enctype="multipart/form-data"``; the other two write the same attribute.
* FastHTML moves ``hx-target``, ``id`` and ``class`` after the other attributes (in that
  order); the other two write attributes in that order too.
* ``fh.Html`` returns ``(doctype, html)``; ``to_xml`` of that tuple writes
  ``<!doctype html><html ...>``, as appkit's ``Html`` does.
* ``to_xml(..., indent=False)`` adds no whitespace.
* Data contains no quote characters: the three escape ``"``/``'`` differently (``&quot;``,
  ``&#34;``, or a switch to single-quoted attributes), all of them valid HTML.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import gc
import os
import platform
import sys
import timeit
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run from a checkout: appkit need not be installed
import fasthtml.common as fh  # noqa: E402
import jinja2  # noqa: E402

import appkit.html as ak  # noqa: E402
from bench.machine import cpu_model, version  # noqa: E402

# ---- data ---------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class Row:
    id: int
    name: str
    email: str
    score: float


@dataclasses.dataclass(frozen=True, slots=True)
class Card:
    id: int
    title: str
    body: str


ROWS = [
    Row(i, f"User {i} <Smith & Sons>", f"user{i}@example.com", round(i * 7.31 % 100, 2))
    for i in range(1, 1001)
]
HEADERS = ["ID", "Name", "Email", "Score", "Link"]

PAGE_TITLE = "Projects · Acme"
NAV = [
    ("Home", "/"), ("Projects", "/projects"), ("Tasks", "/tasks"), ("Calendar", "/calendar"),
    ("Reports", "/reports"), ("Team", "/team"), ("Settings", "/settings"), ("Help", "/help"),
]
ACTIVE = "/projects"
CATEGORIES = [(str(i), f"Category {i}") for i in range(10)]
SELECTED = "3"
CARDS = [
    Card(i, f"Project {i}", f"Milestones & notes for project {i} <draft>") for i in range(1, 21)
]

# ---- appkit -------------------------------------------------------------------------------


def table_appkit(rows: list[Row]) -> str:
    return ak.render(ak.Table(
        ak.Thead(ak.Tr(*[ak.Th(h) for h in HEADERS])),
        ak.Tbody(*[
            ak.Tr(
                ak.Td(r.id), ak.Td(r.name), ak.Td(r.email), ak.Td(r.score),
                ak.Td(ak.A("View", href=f"/users/{r.id}?tab=profile&sort=name",
                           cls="btn small")),
            )
            for r in rows
        ]),
        cls="data",
    ))


def page_appkit(cards: list[Card]) -> str:
    return ak.render(ak.Html(
        ak.Head(
            ak.Meta(charset="utf-8"),
            ak.Meta(name="viewport", content="width=device-width, initial-scale=1"),
            ak.Title(PAGE_TITLE),
            ak.Link(rel="stylesheet", href="/static/pico.min.css"),
            ak.Script(src="/static/htmx.min.js", defer=True),
        ),
        ak.Body(
            ak.Nav(ak.Ul(*[
                ak.Li(ak.A(label, href=href, aria_current="page" if href == ACTIVE else None))
                for label, href in NAV
            ]), cls="container"),
            ak.Main(
                ak.H1("Projects"),
                ak.Form(
                    ak.Label("Name", for_="name"),
                    ak.Input(type="text", name="name", required=True, placeholder="My project",
                             id="name"),
                    ak.Label("Owner email", for_="email"),
                    ak.Input(type="email", name="email", id="email"),
                    ak.Label(ak.Input(type="checkbox", name="public", checked=True, id="public"),
                             " Public"),
                    ak.Label("Category", for_="category"),
                    ak.Select(*[
                        ak.Option(label, value=value, selected=value == SELECTED)
                        for value, label in CATEGORIES
                    ], name="category", id="category"),
                    ak.Label("Notes", for_="notes"),
                    ak.Textarea("", name="notes", rows=4, id="notes"),
                    ak.Button("Create", type="submit"),
                    enctype="multipart/form-data", hx_post="/projects", hx_swap="afterbegin",
                    hx_target="#cards",
                ),
                ak.Section(*[
                    ak.Article(
                        ak.H3(c.title),
                        ak.P(c.body),
                        ak.Button("Archive", hx_post=f"/projects/{c.id}/archive",
                                  hx_confirm="Archive this project?", hx_swap="outerHTML",
                                  hx_target=f"#card-{c.id}"),
                        ak.Button("Delete", hx_delete=f"/projects/{c.id}",
                                  hx_confirm="Delete this project?", hx_swap="outerHTML",
                                  hx_target=f"#card-{c.id}", cls="secondary"),
                        id=f"card-{c.id}", cls="card",
                    )
                    for c in cards
                ], id="cards"),
                cls="container",
            ),
            ak.Footer(ak.P("© 2026 Acme Inc. · ", ak.A("Privacy", href="/privacy"), " · ",
                           ak.A("Terms", href="/terms")), cls="container"),
        ),
        lang="en",
    ))


# The same functions, compiled (as ``@ak.compiled`` above their ``def`` would).
table_appkit_compiled = ak.compiled(table_appkit)
page_appkit_compiled = ak.compiled(page_appkit)


# ---- FastHTML -----------------------------------------------------------------------------


def table_fasthtml(rows: list[Row]) -> str:
    return fh.to_xml(fh.Table(
        fh.Thead(fh.Tr(*[fh.Th(h) for h in HEADERS])),
        fh.Tbody(*[
            fh.Tr(
                fh.Td(r.id), fh.Td(r.name), fh.Td(r.email), fh.Td(r.score),
                fh.Td(fh.A("View", href=f"/users/{r.id}?tab=profile&sort=name",
                           cls="btn small")),
            )
            for r in rows
        ]),
        cls="data",
    ), indent=False)


def page_fasthtml(cards: list[Card]) -> str:
    return fh.to_xml(fh.Html(
        fh.Head(
            fh.Meta(charset="utf-8"),
            fh.Meta(name="viewport", content="width=device-width, initial-scale=1"),
            fh.Title(PAGE_TITLE),
            fh.Link(rel="stylesheet", href="/static/pico.min.css"),
            fh.Script(src="/static/htmx.min.js", defer=True),
        ),
        fh.Body(
            fh.Nav(fh.Ul(*[
                fh.Li(fh.A(label, href=href, aria_current="page" if href == ACTIVE else None))
                for label, href in NAV
            ]), cls="container"),
            fh.Main(
                fh.H1("Projects"),
                fh.Form(
                    fh.Label("Name", fr="name"),
                    fh.Input(type="text", name="name", required=True, placeholder="My project",
                             id="name"),
                    fh.Label("Owner email", fr="email"),
                    fh.Input(type="email", name="email", id="email"),
                    fh.Label(fh.Input(type="checkbox", name="public", checked=True, id="public"),
                             " Public"),
                    fh.Label("Category", fr="category"),
                    fh.Select(*[
                        fh.Option(label, value=value, selected=value == SELECTED)
                        for value, label in CATEGORIES
                    ], name="category", id="category"),
                    fh.Label("Notes", fr="notes"),
                    fh.Textarea("", name="notes", rows=4, id="notes"),
                    fh.Button("Create", type="submit"),
                    hx_post="/projects", hx_swap="afterbegin", hx_target="#cards",
                ),
                fh.Section(*[
                    fh.Article(
                        fh.H3(c.title),
                        fh.P(c.body),
                        fh.Button("Archive", hx_post=f"/projects/{c.id}/archive",
                                  hx_confirm="Archive this project?", hx_swap="outerHTML",
                                  hx_target=f"#card-{c.id}"),
                        fh.Button("Delete", hx_delete=f"/projects/{c.id}",
                                  hx_confirm="Delete this project?", hx_swap="outerHTML",
                                  hx_target=f"#card-{c.id}", cls="secondary"),
                        id=f"card-{c.id}", cls="card",
                    )
                    for c in cards
                ], id="cards"),
                cls="container",
            ),
            fh.Footer(fh.P("© 2026 Acme Inc. · ", fh.A("Privacy", href="/privacy"), " · ",
                           fh.A("Terms", href="/terms")), cls="container"),
        ),
        lang="en",
    ), indent=False)


# ---- Jinja2 -------------------------------------------------------------------------------
# Adjacent string literals keep the templates readable without putting whitespace between
# tags (which would make the output differ).

_env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)

TABLE_TEMPLATE = _env.from_string(
    '<table class="data"><thead><tr>'
    "{% for h in headers %}<th>{{ h }}</th>{% endfor %}"
    "</tr></thead><tbody>"
    "{% for r in rows %}<tr>"
    "<td>{{ r.id }}</td><td>{{ r.name }}</td><td>{{ r.email }}</td><td>{{ r.score }}</td>"
    '<td><a href="/users/{{ r.id }}?tab=profile&amp;sort=name" class="btn small">View</a></td>'
    "</tr>{% endfor %}"
    "</tbody></table>"
)

PAGE_TEMPLATE = _env.from_string(
    '<!doctype html><html lang="en"><head>'
    '<meta charset="utf-8">'
    '<meta name="viewport" content="width=device-width, initial-scale=1">'
    "<title>{{ title }}</title>"
    '<link rel="stylesheet" href="/static/pico.min.css">'
    '<script src="/static/htmx.min.js" defer></script>'
    "</head><body>"
    '<nav class="container"><ul>'
    "{% for label, href in nav %}"
    '<li><a href="{{ href }}"{% if href == active %} aria-current="page"{% endif %}>'
    "{{ label }}</a></li>"
    "{% endfor %}"
    "</ul></nav>"
    '<main class="container"><h1>Projects</h1>'
    '<form enctype="multipart/form-data" hx-post="/projects" hx-swap="afterbegin"'
    ' hx-target="#cards">'
    '<label for="name">Name</label>'
    '<input type="text" name="name" required placeholder="My project" id="name">'
    '<label for="email">Owner email</label>'
    '<input type="email" name="email" id="email">'
    '<label><input type="checkbox" name="public" checked id="public"> Public</label>'
    '<label for="category">Category</label>'
    '<select name="category" id="category">'
    "{% for value, label in categories %}"
    '<option value="{{ value }}"{% if value == selected %} selected{% endif %}>{{ label }}</option>'
    "{% endfor %}"
    "</select>"
    '<label for="notes">Notes</label>'
    '<textarea name="notes" rows="4" id="notes"></textarea>'
    '<button type="submit">Create</button>'
    "</form>"
    '<section id="cards">'
    "{% for c in cards %}"
    '<article id="card-{{ c.id }}" class="card">'
    "<h3>{{ c.title }}</h3><p>{{ c.body }}</p>"
    '<button hx-post="/projects/{{ c.id }}/archive" hx-confirm="Archive this project?"'
    ' hx-swap="outerHTML" hx-target="#card-{{ c.id }}">Archive</button>'
    '<button hx-delete="/projects/{{ c.id }}" hx-confirm="Delete this project?"'
    ' hx-swap="outerHTML" hx-target="#card-{{ c.id }}" class="secondary">Delete</button>'
    "</article>"
    "{% endfor %}"
    "</section>"
    "</main>"
    '<footer class="container"><p>© 2026 Acme Inc. · <a href="/privacy">Privacy</a> · '
    '<a href="/terms">Terms</a></p></footer>'
    "</body></html>"
)


def table_jinja(rows: list[Row]) -> str:
    return TABLE_TEMPLATE.render(headers=HEADERS, rows=rows)


def page_jinja(cards: list[Card]) -> str:
    return PAGE_TEMPLATE.render(title=PAGE_TITLE, nav=NAV, active=ACTIVE,
                                categories=CATEGORIES, selected=SELECTED, cards=cards)


# ---- harness ------------------------------------------------------------------------------

IMPLS = ["appkit", "appkit-compiled", "FastHTML", "Jinja2"]
BENCHMARKS: dict[str, tuple[str, Any, dict[str, Any]]] = {
    "table": ("1,000-row table", ROWS,
              {"appkit": table_appkit, "appkit-compiled": table_appkit_compiled,
               "FastHTML": table_fasthtml, "Jinja2": table_jinja}),
    "page": ("typical page", CARDS,
             {"appkit": page_appkit, "appkit-compiled": page_appkit_compiled,
              "FastHTML": page_fasthtml, "Jinja2": page_jinja}),
}
TARGET_VS_FASTHTML = 3.0  # appkit at least 3x faster than FastHTML
TARGET_VS_JINJA = 1.0  # appkit (compiled) no slower than Jinja2


def check_same_output(name: str, data: Any, funcs: dict[str, Any]) -> int:
    if not ak.is_compiled(funcs["appkit-compiled"]):
        sys.exit(f"{name}: the appkit function was not compiled (is its source there?)")
    outputs = {impl: funcs[impl](data) for impl in IMPLS}
    ref = outputs["appkit"]
    assert isinstance(ref, str) and ref, "appkit rendered nothing"
    assert "&lt;" in ref and "&amp;" in ref, "the data should need escaping"
    for impl in IMPLS[1:]:
        out = str(outputs[impl])
        if out != ref:
            i = next((k for k, (a, b) in enumerate(zip(ref, out, strict=False)) if a != b),
                     min(len(ref), len(out)))
            sys.exit(
                f"{name}: {impl} output differs from appkit at byte {i} "
                f"(lengths {len(out)} vs {len(ref)}):\n"
                f"  appkit:  {ref[max(0, i - 60):i + 60]!r}\n"
                f"  {impl}: {out[max(0, i - 60):i + 60]!r}"
            )
    return len(ref.encode())


def time_all(data: Any, funcs: dict[str, Any], repeat: int, min_time: float,
             gc_on: bool = True) -> dict[str, float]:
    """Seconds per render (best of ``repeat``) for each implementation, interleaved."""
    timers, numbers, best = {}, {}, {}
    for impl in IMPLS:
        func = funcs[impl]
        # ``setup`` runs inside the timed function after timeit has disabled the GC.
        timers[impl] = timeit.Timer(lambda func=func: func(data),
                                    setup="gc.enable()" if gc_on else "pass",
                                    globals={"gc": gc})
        number = 1
        while True:  # like Timer.autorange, but to min_time instead of 0.2 s
            if timers[impl].timeit(number) >= min_time:
                break
            number *= 2
        numbers[impl] = number
        best[impl] = float("inf")
    for _ in range(repeat):
        for impl in IMPLS:
            best[impl] = min(best[impl], timers[impl].timeit(numbers[impl]) / numbers[impl])
    return best




def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="3 repeats of ~0.05 s instead of 7 of ~0.2 s (a smoke test)")
    parser.add_argument("--only", choices=list(BENCHMARKS), help="run one benchmark")
    parser.add_argument("--no-gc", action="store_true",
                        help="time with the garbage collector off (timeit's default)")
    args = parser.parse_args()
    repeat, min_time = (3, 0.05) if args.quick else (7, 0.2)

    print(f"date:     {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}")
    print(f"python:   {platform.python_implementation()} {platform.python_version()}")
    print(f"platform: {platform.platform()}")
    print(f"cpu:      {cpu_model()} ({os.cpu_count()} logical cores)")
    print("versions: " + ", ".join(
        f"{d} {version(d)}" for d in ("appkit", "python-fasthtml", "fastcore", "jinja2",
                                      "markupsafe")))
    print(f"timing:   timeit, GC {'off' if args.no_gc else 'on'}, best of {repeat} runs "
          f"of >= {min_time} s each{' (--quick)' if args.quick else ''}")
    print()

    results: list[tuple[str, float, float, bool, bool]] = []
    for key, (title, data, funcs) in BENCHMARKS.items():
        if args.only and key != args.only:
            continue
        size = check_same_output(title, data, funcs)
        print(f"{title}: output byte-identical across {', '.join(IMPLS)} "
              f"({size:,} bytes, no normalising)")
        best = time_all(data, funcs, repeat, min_time, gc_on=not args.no_gc)
        base = best["appkit"]
        print(f"  {'implementation':<15}{'ms/render':>11}{'vs appkit':>11}")
        for impl in IMPLS:
            ratio = best[impl] / base
            print(f"  {impl:<15}{best[impl] * 1e3:>11.3f}{ratio:>10.2f}x")
        fh_ratio, j_ratio = best["FastHTML"] / base, best["Jinja2"] / best["appkit-compiled"]
        ok_fh, ok_j = fh_ratio >= TARGET_VS_FASTHTML, j_ratio >= TARGET_VS_JINJA
        results.append((title, fh_ratio, j_ratio, ok_fh, ok_j))
        print(f"  target appkit >= {TARGET_VS_FASTHTML:g}x faster than FastHTML: "
              f"{fh_ratio:.2f}x -> {'MET' if ok_fh else 'NOT MET'}")
        print(f"  target appkit-compiled no slower than Jinja2 (Jinja2/appkit-compiled >= "
              f"{TARGET_VS_JINJA:g}): {j_ratio:.2f}x -> {'MET' if ok_j else 'NOT MET'}"
              f" (appkit as written: {best['Jinja2'] / base:.2f}x)")
        print()

    met = all(ok_fh and ok_j for *_, ok_fh, ok_j in results)
    print(f"all targets met: {'yes' if met else 'NO'}")


if __name__ == "__main__":
    main()
