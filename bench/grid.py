"""A data grid over 100,000 rows: appkit's ``DataGrid`` against NiceGUI's ``ui.table`` and
``ui.aggrid`` (issue 15, section 3), on the same data.

The apps (``bench/apps/``): ``grid_appkit.py`` (``DataGrid`` over the app's SQLite table, 50
rows a page, paged on the server) and ``grid_nicegui.py``: ``ui.table`` given every row
(NiceGUI's documented way: Quasar pages them in the browser), ``ui.table`` paged on the
server (its ``request`` event reads each page from SQLite, as appkit does) and ``ui.aggrid``
given every row (AG Grid's pagination). The rows are ``grid_data.py``'s, the same in every app
and order (by id). Each server runs in a process of its own (``bench/live.py``'s ``Server``:
uvicorn, or NiceGUI's ``ui.run``, private XDG folders, a fresh database). The browser is
Debian's Chromium, headless, through Playwright; a request to a host other than loopback is
refused and reported.

What it measures, for each grid:

1. **Time to first paint and to the rows**: a fresh browser context loads the page;
   ``first-contentful-paint`` (the Paint Timing API) and the moment the first row's name
   ("Person 000001") is in the page (a MutationObserver from before the page's first
   script, ``performance.now()``), both from the start of the navigation; the rows are on
   screen at the later of the two (rows in the page before the first paint are painted
   with it); and the bytes
   the page took to get there: every HTTP response (headers and body as sent,
   ``Request.sizes()``) and websocket frame (payloads) until the rows showed.
2. **Per page**: clicking the grid's own "Next page" button (in the page, ``click()``)
   until the next page's first row is in the page (the same observer), N pages one after
   the other; the server process's CPU time over those N (``/proc/<pid>/stat``) divided by
   N; and the bytes per page, both ways (HTTP and websocket payloads).

Run from the repository root:

    .venv/bin/python bench/grid.py              # the full run, about 4 minutes
    .venv/bin/python bench/grid.py --quick      # a smoke test, under 2 minutes

NiceGUI is a peer for benchmarks only (the ``bench`` extra of ``pyproject.toml``, as for
``bench/live.py``), never a dependency of appkit. See bench/README.md ("Data grid").
"""

from __future__ import annotations

import sys
from pathlib import Path

# bench/requests.py would shadow the ``requests`` package: import from the repository root.
ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))
import argparse  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from typing import Any  # noqa: E402

from bench.apps import grid_data  # noqa: E402
from bench.live import (  # noqa: E402
    CHROMIUM,
    Browser,
    Server,
    _size,
    close_page,
    fmt,
    percentile,
    process_cpu,
)
from bench.machine import cpu_model, machine_busy, version, wait_for_quiet  # noqa: E402

APPKIT = "bench.apps.grid_appkit"
NICEGUI = "bench/apps/grid_nicegui.py"


@dataclass(frozen=True)
class Variant:
    """A grid: where it is served, the cells of its name column and its next-page button."""

    label: str
    server: str
    path: str
    names: str
    next: str


VARIANTS = {
    "appkit": Variant("appkit DataGrid", APPKIT, "/", "tbody tr td:nth-child(3)",
                      "button[aria-label='Next page']"),
    "table": Variant(
        "NiceGUI ui.table, every row", NICEGUI, "/table", ".q-table tbody tr td:nth-child(2)",
        ".q-table__bottom button[aria-label='Next page']"),
    "table-server": Variant(
        "NiceGUI ui.table, server paging", NICEGUI, "/table-server",
        ".q-table tbody tr td:nth-child(2)",
        ".q-table__bottom button[aria-label='Next page']"),
    "aggrid": Variant(
        "NiceGUI ui.aggrid, every row", NICEGUI, "/aggrid",
        ".ag-center-cols-container .ag-cell[col-id='name']",
        ".ag-paging-button[aria-label='Next Page']"),
}

# Before any of the page's scripts: the first name the grid shows (the smallest "Person
# nnnnnn" among the name cells: AG Grid orders its rows by position, not in the DOM), and
# when each first name was first seen in the page.
INIT_SCRIPT = """
(() => {
  window.__gridSeen = {};
  window.__gridNames = null;
  window.__gridFirst = () => {
    if (!window.__gridNames) return null;
    let first = null;
    for (const cell of document.querySelectorAll(window.__gridNames)) {
      const text = cell.textContent.trim();
      if (text.startsWith("Person ") && (first === null || text < first)) first = text;
    }
    return first;
  };
  const note = () => {
    const first = window.__gridFirst();
    if (first !== null && !(first in window.__gridSeen)) {
      window.__gridSeen[first] = performance.now();
    }
  };
  new MutationObserver(note).observe(document, { childList: true, subtree: true,
                                                 characterData: true });
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      if (entry.name === "first-contentful-paint") window.__gridPaint = entry.startTime;
    }
  }).observe({ type: "paint", buffered: true });
})();
"""

NEXT_PAGE = """async ([next, expected]) => {
  const started = performance.now();
  document.querySelector(next).click();
  while (!(expected in window.__gridSeen)) {
    await new Promise((resolve) => setTimeout(resolve, 1));
    if (performance.now() - started > 20000) throw new Error("no page " + expected);
  }
  return window.__gridSeen[expected] - started;
}"""


@dataclass
class Load:
    fcp_ms: float
    rows_ms: float
    http_bytes: int
    ws_bytes: int


@dataclass
class Result:
    loads: list[Load] = field(default_factory=list)
    pages_ms: list[float] = field(default_factory=list)
    cpu_ms_per_page: float = 0.0
    bytes_per_page: list[int] = field(default_factory=list)
    busy: list[float] = field(default_factory=list)


class Traffic:
    """The bytes a page receives and sends: HTTP responses (sizes once loaded) and
    websocket payloads."""

    def __init__(self, page: Any) -> None:
        self.responses: list[Any] = []
        self.ws = 0
        page.on("response", lambda response: self.responses.append(response))
        page.on("websocket", lambda ws: (ws.on("framereceived", self._frame),
                                         ws.on("framesent", self._frame)))

    def _frame(self, payload: Any) -> None:
        self.ws += _size(payload)

    def take(self) -> tuple[int, int]:
        """(HTTP bytes, websocket bytes) since the last call."""
        http = 0
        for response in self.responses:
            try:
                sizes = response.request.sizes()
            except Exception:  # noqa: BLE001 (a response whose body was never read)
                continue
            http += (sizes["responseBodySize"] + sizes["responseHeadersSize"]
                     + sizes["requestBodySize"] + sizes["requestHeadersSize"])
        self.responses.clear()
        ws, self.ws = self.ws, 0
        return http, ws


def open_grid(browser: Browser, url: str, variant: Variant) -> tuple[Any, Traffic, Load]:
    page = browser.new_page()
    page.context.add_init_script(INIT_SCRIPT.replace(
        "window.__gridNames = null", f"window.__gridNames = {variant.names!r}"))
    traffic = Traffic(page)
    first = grid_data.name(1)
    page.goto(url.rstrip("/") + variant.path, wait_until="commit", timeout=120_000)
    page.wait_for_function(f"{first!r} in window.__gridSeen", polling=50, timeout=120_000)
    page.wait_for_load_state("load")
    page.wait_for_function("window.__gridPaint !== undefined", polling=50, timeout=120_000)
    timing = page.evaluate(
        "(first) => ({ fcp: window.__gridPaint, rows: window.__gridSeen[first] })", first)
    page.wait_for_timeout(300)
    http, ws = traffic.take()
    return page, traffic, Load(timing["fcp"], timing["rows"], http, ws)


def measure(browser: Browser, name: str, loads: int, pages: int) -> Result:
    variant = VARIANTS[name]
    out = Result()
    with Server(variant.server) as server:
        for n in range(loads):
            wait_for_quiet(1.2, 15)
            busy0, t0 = machine_busy(), time.monotonic()
            page, traffic, load = open_grid(browser, server.url, variant)
            out.busy.append((machine_busy() - busy0) / (time.monotonic() - t0))
            out.loads.append(load)
            if n < loads - 1:
                close_page(page)
        try:
            page.wait_for_timeout(1000)   # settled: the sockets open, first acknowledgements
            traffic.take()
            wait_for_quiet(1.2, 15)
            cpu0 = process_cpu(server.proc.pid)
            for p in range(2, pages + 2):
                expected = grid_data.name((p - 1) * grid_data.PAGE + 1)
                out.pages_ms.append(page.evaluate(NEXT_PAGE, [variant.next, expected]))
                page.wait_for_timeout(50)
                http, ws = traffic.take()
                out.bytes_per_page.append(http + ws)
            out.cpu_ms_per_page = (process_cpu(server.proc.pid) - cpu0) * 1000 / pages
        finally:
            close_page(page)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smoke test: fewer of each")
    parser.add_argument("--only", default=",".join(VARIANTS),
                        help=f"comma-separated grids: {', '.join(VARIANTS)} (default all)")
    args = parser.parse_args()
    loads, pages = (2, 10) if args.quick else (5, 40)
    started = time.monotonic()
    print(f"Machine: {os.cpu_count()} cores, {cpu_model()}, {platform.system()} "
          f"{platform.release()} {platform.machine()}; the browser and the server share them.")
    print(f"Software: CPython {platform.python_version()}, appkit {version('appkit')} "
          f"(source tree), nicegui {version('nicegui')}, starlette {version('starlette')}, "
          f"uvicorn {version('uvicorn')}, playwright {version('playwright')}", flush=True)
    browser = Browser()
    print(f"Chromium {browser.version} ({CHROMIUM}), headless; {grid_data.ROWS:,} rows, "
          f"{grid_data.PAGE} a page; {loads} loads and {pages} pages per grid", flush=True)
    results: dict[str, Result] = {}
    try:
        for name in args.only.split(","):
            if name not in VARIANTS:
                raise SystemExit(f"No grid {name!r}: one of {', '.join(VARIANTS)}")
            print(f"  {VARIANTS[name].label}...", flush=True)
            results[VARIANTS[name].label] = measure(browser, name, loads, pages)
    finally:
        browser.close()
    if browser.blocked:
        raise SystemExit(f"A page tried to reach the network: {browser.blocked}")
    report(results)
    print(f"\n({time.monotonic() - started:.0f} s)")


def report(results: dict[str, Result]) -> None:
    print("\n| load the page | first paint, ms | rows in the page, ms | rows on screen, ms | "
          "bytes to the rows | machine busy, cores |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, r in results.items():
        fcp = statistics.median(x.fcp_ms for x in r.loads)
        rows = statistics.median(x.rows_ms for x in r.loads)
        # Rows in the page before the first paint are on screen with it.
        shown = statistics.median(max(x.fcp_ms, x.rows_ms) for x in r.loads)
        sent = statistics.median(x.http_bytes + x.ws_bytes for x in r.loads)
        print(f"| {label} | {fmt(fcp, 0)} | {fmt(rows, 0)} | {fmt(shown, 0)} | {sent:,.0f} | "
              f"{statistics.median(r.busy):.2f} |")
    print("\n(medians of the loads; each load: "
          + "; ".join(f"{label}: " + ", ".join(f"{x.fcp_ms:.0f}/{x.rows_ms:.0f}"
                                              for x in r.loads)
                      for label, r in results.items()) + " ms, paint/rows)")
    print("\n| next page | median, ms | p95, ms | server CPU per page, ms | bytes per page |")
    print("|---|---:|---:|---:|---:|")
    for label, r in results.items():
        print(f"| {label} | {fmt(statistics.median(r.pages_ms))} | "
              f"{fmt(percentile(r.pages_ms, 0.95))} | {fmt(r.cpu_ms_per_page)} | "
              f"{statistics.median(r.bytes_per_page):,.0f} |")


if __name__ == "__main__":
    main()
