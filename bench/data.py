"""Data benchmark: appkit.data's table layer vs raw sqlite-utils, on the same kind of file.

Run from the repository root:

    .venv/bin/python bench/data.py            # full run
    .venv/bin/python bench/data.py --quick    # fewer, shorter repeats (a smoke test)

Both sides use a file in the same temporary folder, opened the same way: WAL, foreign keys
on, a 10 s busy timeout, ``synchronous=FULL`` (appkit's default: a commit survives a power
cut), and the same table (``todo``: id INTEGER PRIMARY KEY, title TEXT, done INTEGER, due
TEXT). appkit goes through ``Store.table_for(Todo)`` (a dataclass in, dataclasses out);
raw sqlite-utils is what an app author would write without it (dicts in and out, the date
as ISO text by hand), on a ``sqlite_utils.Database``:

* ``insert, own transaction``: ``todos.insert(Todo(...))`` vs ``db.table("todo").insert({...})``,
  each a transaction of its own (so each commit waits for the disk);
* the same with ``synchronous=NORMAL`` on both sides (no wait for the disk at commit);
* ``insert, 1,000 per transaction``: the same calls inside ``with store.transaction():`` /
  ``with db.atomic():``: the layer's CPU cost, without the disk;
* ``get by primary key``: ``todos.get(pk)`` vs ``db.table("todo").get(pk)``, over 10,000 rows;
* ``find, where + limit 20``: ``todos.find("done = ? AND id > ?", [...], limit=20)`` vs
  ``list(db.table("todo").rows_where(...))``.

Before timing, the script checks that both sides wrote identical rows and read equal
values. Timing: each run does ``number`` operations (doubled until a run takes >= 0.2 s),
``repeat`` runs per side, interleaved, the side that goes first alternating; the figures
are the best run's wall-clock time and the best run's CPU time of this process. The
target (the layer costs under 15% more) is checked on CPU time, which other work on a
shared machine disturbs less, and not on the ``synchronous=FULL`` row: there each commit
waits for the disk, and that wait (and the kernel's work for it) swings by several times
from one run to the next. The two sides make the same system calls per commit there (one
``fdatasync``, about two ``pwrite``; checked with ``strace -c``), so the layer's own cost
is what the NORMAL row measures: the same calls, without the wait.

Then writes per second through htmx POST requests: an appkit App served by uvicorn in its
own process (sync handler, so Starlette's thread pool runs 16 requests at once, each thread
with its own connection), loaded by wrk (``-t1 -c16``) from another process. The handler
inserts a todo and answers an ``li`` fragment; once through the table layer, once through
raw sqlite-utils (a ``sqlite_utils.Database`` per thread, same settings). After the load the
script checks that the table holds exactly one row per answered request and that no answer
was an error.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run from a checkout: appkit need not be installed
import sqlite_utils  # noqa: E402

from appkit.data import Store, Table  # noqa: E402
from bench.machine import cpu_model, version  # noqa: E402

TARGET_OVERHEAD = 0.15  # the layer may cost at most 15% more time per operation
ROWS = 10_000
HOST = "127.0.0.1"
CONNECTIONS = 16  # wrk's -c (run_wrk from bench/requests.py uses its own, the same)


@dataclass
class Todo:
    title: str
    done: bool = False
    due: dt.date | None = None
    id: int | None = None


def make_todo(i: int) -> Todo:
    return Todo(f"Task {i}: milk & eggs", i % 3 == 0,
                dt.date(2026, 1, 1) + dt.timedelta(days=i % 365) if i % 2 else None)


def todo_dict(todo: Todo) -> dict[str, Any]:
    """What raw sqlite-utils is given: the same values, the date as text by hand."""
    return {"title": todo.title, "done": todo.done,
            "due": todo.due.isoformat() if todo.due else None}


# ---- the two sides ------------------------------------------------------------------------


def raw_connection(path: Path, synchronous: str = "FULL") -> sqlite_utils.Database:
    """A sqlite_utils.Database on ``path`` with the settings a Store uses."""
    conn = sqlite3.connect(path, timeout=10, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={synchronous}")
    conn.execute("PRAGMA foreign_keys=ON")
    return sqlite_utils.Database(conn)


def raw_database(path: Path, synchronous: str = "FULL") -> sqlite_utils.Database:
    """``raw_connection``, with the ``todo`` table made as the table layer makes it."""
    db = raw_connection(path, synchronous)
    db.table("todo").create({"title": str, "done": bool, "due": str, "id": int}, pk="id",
                      if_not_exists=True)
    return db


class Side:
    """One side of the comparison: a file and the operations on it."""

    name = ""

    def __init__(self, path: Path, synchronous: str = "FULL") -> None:
        raise NotImplementedError

    def insert(self, i: int) -> Any:
        raise NotImplementedError

    def insert_many(self, start: int, count: int) -> None:
        raise NotImplementedError

    def get(self, pk: int) -> Any:
        raise NotImplementedError

    def find(self, after: int) -> list[Any]:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


class Appkit(Side):
    name = "appkit"

    def __init__(self, path: Path, synchronous: str = "FULL") -> None:
        self.store = Store(path, synchronous=synchronous)
        self.todos: Table[Todo] = self.store.table_for(Todo)

    def insert(self, i: int) -> Any:
        return self.todos.insert(make_todo(i))

    def insert_many(self, start: int, count: int) -> None:
        insert = self.todos.insert
        with self.store.transaction():
            for i in range(start, start + count):
                insert(make_todo(i))

    def get(self, pk: int) -> Any:
        return self.todos.get(pk)

    def find(self, after: int) -> list[Any]:
        return self.todos.find("done = ? AND id > ?", [0, after], limit=20)

    def close(self) -> None:
        self.store.close()


class Raw(Side):
    name = "sqlite-utils"

    def __init__(self, path: Path, synchronous: str = "FULL") -> None:
        self.db = raw_database(path, synchronous)

    def insert(self, i: int) -> Any:
        return self.db.table("todo").insert(todo_dict(make_todo(i))).last_pk

    def insert_many(self, start: int, count: int) -> None:
        db = self.db
        with db.atomic():
            for i in range(start, start + count):
                db.table("todo").insert(todo_dict(make_todo(i)))

    def get(self, pk: int) -> Any:
        return self.db.table("todo").get(pk)

    def find(self, after: int) -> list[Any]:
        return list(self.db.table("todo").rows_where("done = ? AND id > ?", [0, after], limit=20))

    def close(self) -> None:
        self.db.close()


# ---- checks -------------------------------------------------------------------------------


def dump(path: Path) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT id, title, done, due FROM todo ORDER BY id").fetchall()
    finally:
        conn.close()


def as_raw(todo: Todo) -> dict[str, Any]:
    row = asdict(todo)
    row["due"] = todo.due.isoformat() if todo.due else None
    row["done"] = int(todo.done)
    return row


def check_same(folder: Path) -> None:
    """Both sides write identical rows and read equal values; stops the script otherwise."""
    a, r = Appkit(folder / "check-a.db"), Raw(folder / "check-r.db")
    try:
        for i in range(50):
            a.insert(i)
            r.insert(i)
        a.insert_many(50, 50)
        r.insert_many(50, 50)
        if dump(folder / "check-a.db") != dump(folder / "check-r.db"):
            raise SystemExit("the two sides wrote different rows")
        for pk in (1, 2, 77, 100):
            if as_raw(a.get(pk)) != r.get(pk):
                raise SystemExit(f"get({pk}) differs: {a.get(pk)} vs {r.get(pk)}")
        found_a, found_r = [as_raw(t) for t in a.find(10)], r.find(10)
        if found_a != found_r or len(found_r) != 20:
            raise SystemExit("find() differs")
    finally:
        a.close()
        r.close()


# ---- timing -------------------------------------------------------------------------------


@dataclass
class Workload:
    key: str
    title: str
    make: Callable[[type[Side], Path], Side]
    op: Callable[[Side, int], object]  # op(side, k): the k-th operation
    per_call: int = 1  # operations one call of op does
    disk_bound: bool = False  # each operation waits for the disk: not judged (see above)


def prefilled(cls: type[Side], path: Path, synchronous: str = "FULL") -> Side:
    side = cls(path, synchronous)
    side.insert_many(0, ROWS)
    return side


_rng = random.Random(7)
_PKS = [_rng.randrange(1, ROWS + 1) for _ in range(4096)]
_AFTER = [_rng.randrange(0, ROWS - 200) for _ in range(4096)]

WORKLOADS = [
    Workload("insert", "insert, own transaction (FULL)",
             lambda cls, p: cls(p), lambda s, k: s.insert(k), disk_bound=True),
    Workload("insert-normal", "insert, own transaction (NORMAL)",
             lambda cls, p: cls(p, "NORMAL"), lambda s, k: s.insert(k)),
    Workload("batch", "insert, 1,000 per transaction",
             lambda cls, p: cls(p), lambda s, k: s.insert_many(k * 1000, 1000), per_call=1000),
    Workload("get", "get by primary key", prefilled, lambda s, k: s.get(_PKS[k % 4096])),
    Workload("find", "find, where + limit 20", prefilled,
             lambda s, k: s.find(_AFTER[k % 4096])),
]


def run_once(side: Side, op: Callable[[Side, int], object], start: int, number: int
             ) -> tuple[float, float]:
    """(wall-clock seconds, CPU seconds of this process) for ``number`` operations."""
    t0, c0 = time.perf_counter(), time.process_time()
    for k in range(start, start + number):
        op(side, k)
    return time.perf_counter() - t0, time.process_time() - c0


@dataclass
class Timing:
    wall: float = float("inf")  # best wall-clock seconds per operation
    cpu: float = float("inf")  # best CPU seconds per operation


def time_workload(w: Workload, folder: Path, repeat: int, min_time: float
                  ) -> dict[str, Timing]:
    """Seconds per operation for each side: the best of ``repeat`` interleaved runs (the
    side that goes first alternates from run to run)."""
    sides = {cls.name: w.make(cls, folder / f"{w.key}-{cls.name}.db") for cls in (Appkit, Raw)}
    try:
        number, counter = 1, 0
        while True:  # calibrate on appkit, then use the same number for both
            took, _ = run_once(sides["appkit"], w.op, counter, number)
            run_once(sides["sqlite-utils"], w.op, counter, number)
            counter += number
            if took >= min_time:
                break
            number *= 2
        best = {name: Timing() for name in sides}
        names = list(sides)
        for i in range(repeat):
            for name in names if i % 2 == 0 else reversed(names):
                wall, cpu = run_once(sides[name], w.op, counter, number)
                ops = number * w.per_call
                best[name].wall = min(best[name].wall, wall / ops)
                best[name].cpu = min(best[name].cpu, cpu / ops)
            counter += number
        return best
    finally:
        for side in sides.values():
            side.close()


# ---- writes through htmx requests -----------------------------------------------------------


def serve(kind: str, port: int, db_path: str) -> None:
    """The serving process: an App whose POST /todos inserts one todo."""
    import uvicorn

    from appkit import App
    from appkit.html import Li

    app = App("bench-data")
    if kind == "appkit":
        store = Store(db_path)
        todos = store.table_for(Todo)
        app.on_shutdown(store.close)

        @app.post("/todos")
        def add(title: str) -> Any:
            todo = todos.insert(Todo(title))
            return Li(todo.title, id=f"todo-{todo.id}")
    else:
        # The table is made once, up front: made by each thread's first request, raw
        # sqlite-utils answers some of them "database is locked" (its CREATE TABLE runs in
        # a deferred transaction that cannot upgrade while another thread writes).
        raw_database(Path(db_path)).close()
        local = threading.local()

        def db() -> sqlite_utils.Database:
            if not hasattr(local, "db"):
                local.db = raw_connection(Path(db_path))
            return local.db  # type: ignore[no-any-return]

        @app.post("/todos")
        def add(title: str) -> Any:
            table = db().table("todo")
            table.insert({"title": title, "done": False, "due": None})
            return Li(title, id=f"todo-{table.last_pk}")

    uvicorn.run(app, host=HOST, port=port, log_level="warning", access_log=False)


POST_LUA = """
wrk.method = "POST"
wrk.body = "title=Milk"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["HX-Request"] = "true"
wrk.headers["Authorization"] = "Bearer bench"
"""


def http_writes(kind: str, folder: Path, duration: float) -> tuple[float, float, int, int]:
    """(writes per second, server CPU us per request, requests answered, rows in the table)
    for one server run."""
    from bench.requests import CONNECTIONS as WRK_CONNECTIONS
    from bench.requests import free_port, request, run_wrk

    assert WRK_CONNECTIONS == CONNECTIONS

    db_path = folder / f"http-{kind}.db"
    port = free_port()
    proc = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--serve", kind,
                             "--port", str(port), "--db", str(db_path)], cwd=ROOT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if request(port, "GET", "/").status in (200, 404):
                    break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"{kind}: the server did not start")
            time.sleep(0.05)
        script = folder / "post.lua"
        script.write_text(POST_LUA)
        load = run_wrk(port, duration, "/todos", str(script), proc.pid)
        if load.errors:
            raise SystemExit(f"{kind}: errors under load: {load.errors}")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
    rows = len(dump(db_path))
    # wrk stops counting at the deadline: the requests then in flight (at most one per
    # connection) were written but not counted.
    if not load.requests <= rows <= load.requests + CONNECTIONS:
        raise SystemExit(f"{kind}: {load.requests} requests answered, {rows} rows written")
    return load.rps, load.cpu_us_per_request, load.requests, rows


# ---- main ---------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="3 repeats of ~0.05 s and 2 s of HTTP load (a smoke test)")
    parser.add_argument("--serve", choices=["appkit", "raw"], help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--no-http", action="store_true", help="skip the HTTP part")
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port, args.db)
        return
    repeat, min_time, duration = (3, 0.05, 2.0) if args.quick else (7, 0.2, 10.0)

    print(f"date:     {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}")
    print(f"python:   {platform.python_implementation()} {platform.python_version()}, "
          f"SQLite {sqlite3.sqlite_version}")
    print(f"platform: {platform.platform()}")
    print(f"cpu:      {cpu_model()} ({os.cpu_count()} logical cores)")
    print("versions: " + ", ".join(f"{d} {version(d)}" for d in
                                   ("appkit", "sqlite-utils", "uvicorn", "starlette")))
    print(f"timing:   best of {repeat} interleaved runs of >= {min_time} s each"
          f"{' (--quick)' if args.quick else ''}")
    with tempfile.TemporaryDirectory(prefix="bench-data-", dir=ROOT / "bench") as tmp:
        folder = Path(tmp)
        print(f"files:    a temporary folder under {ROOT / 'bench'}")
        print()
        check_same(folder)
        print("check:    both sides wrote identical rows and read equal values")
        print()
        print("| workload | appkit ops/s | sqlite-utils ops/s | wall-time ratio | appkit "
              "CPU us/op | sqlite-utils CPU us/op | CPU-time ratio | target: CPU ratio "
              f"<= {1 + TARGET_OVERHEAD:.2f} |")
        print("|---|---:|---:|---:|---:|---:|---:|---|")
        met = True
        for w in WORKLOADS:
            best = time_workload(w, folder, repeat, min_time)
            a, r = best["appkit"], best["sqlite-utils"]
            ratio = a.cpu / r.cpu
            ok = ratio <= 1 + TARGET_OVERHEAD
            if w.disk_bound:
                verdict = "not judged: waits for the disk"
            else:
                met &= ok
                verdict = "met" if ok else "**not met**"
            print(f"| {w.title} | {1 / a.wall:,.0f} | {1 / r.wall:,.0f} | {a.wall / r.wall:.2f}x "
                  f"| {a.cpu * 1e6:.1f} | {r.cpu * 1e6:.1f} | {ratio:.2f}x | {verdict} |",
                  flush=True)
        print()
        print(f"all table-layer targets met: {'yes' if met else 'NO'}")
        if args.no_http:
            return
        print()
        print(f"htmx POST /todos, wrk -t1 -c16 -d{duration:g}s, one insert per request:")
        print()
        print("| server | writes/s | server CPU us/request | requests | rows written |")
        print("|---|---:|---:|---:|---:|")
        for kind, label in (("appkit", "appkit table layer"), ("raw", "raw sqlite-utils")):
            rps, cpu_us, answered, rows = http_writes(kind, folder, duration)
            print(f"| {label} | {rps:,.0f} | {cpu_us:,.0f} | {answered:,} | {rows:,} |",
                  flush=True)


if __name__ == "__main__":
    main()
