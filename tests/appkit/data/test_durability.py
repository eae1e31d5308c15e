"""Durability and concurrency end to end: a writer killed with SIGKILL 50 times loses no
acknowledged row, and 20 concurrent requests to a real server all write, in order."""

from __future__ import annotations

import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from appkit import App
from appkit.data import Database, Migrations, Store
from appkit.html import Li

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL (POSIX)")
def test_no_acknowledged_row_is_lost_when_the_writer_is_killed_50_times(
        tmp_path: Path) -> None:
    path = tmp_path / "crash.db"
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    acknowledged: set[int] = set()
    killed_while_writing = 0
    for _ in range(50):
        child = subprocess.Popen(
            [sys.executable, "-m", "tests.appkit.data.crash_writer", str(path)],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert child.stdout is not None
        first = b""
        if rng.random() < 0.2:
            time.sleep(rng.uniform(0.0, 0.3))  # while it starts up (opens, migrates)
        else:
            first = child.stdout.readline()  # it is writing: kill it somewhere in the loop
            time.sleep(rng.uniform(0.0, 0.1))
        child.send_signal(signal.SIGKILL)
        out, err = child.communicate(timeout=30)
        assert child.returncode == -signal.SIGKILL, err.decode()
        *complete, _partial = (first + out).decode().split("\n")  # the last may be cut short
        acknowledged.update(int(line) for line in complete)
        killed_while_writing += bool(complete)
    assert killed_while_writing >= 25, f"too few kills landed mid-loop (seed {seed})"

    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        entries = {row[0] for row in conn.execute("SELECT id FROM entry")}
        audited = [row[0] for row in conn.execute("SELECT entry FROM audit ORDER BY entry")]
    finally:
        conn.close()
    missing = acknowledged - entries
    assert not missing, f"acknowledged rows lost: {sorted(missing)[:20]} (seed {seed})"
    # each transaction wrote two rows: never one without the other
    assert audited == sorted(entries)
    assert len(acknowledged) > 200


def make_items(db: Database) -> None:
    db["items"].create({"id": int, "title": str, "seen": int}, pk="id")
    db["log"].create({"id": int, "item": int}, pk="id")
    db["notes"].create({"id": int, "text": str}, pk="id")


def test_twenty_concurrent_writing_requests_to_a_real_server(
        live_server: Callable[[Any], str], tmp_path: Path) -> None:
    migrations = Migrations()
    migrations.add(1, make_items)
    store = Store(tmp_path / "server.db", migrations=migrations)
    app = App("concurrent")
    app.on_shutdown(store.close)

    @app.post("/items")
    def add_item(title: str) -> Any:
        with store.transaction() as db:
            # read, then write: overlapping transactions would number two items alike
            seen = db.execute("SELECT count(*) FROM items").fetchone()[0]
            time.sleep(0.001)  # widen the window for any overlap
            db["items"].insert({"title": title, "seen": seen})
            db["log"].insert({"item": db["items"].last_pk})
        return Li(title)

    @app.post("/notes")
    def add_note(text: str) -> Any:
        store.db["notes"].insert({"text": text})  # plain sqlite-utils, no transaction
        return Li(text)

    base = live_server(app)
    answers: list[tuple[int, str]] = []
    lock = threading.Lock()
    barrier = threading.Barrier(20)
    # htmx's headers; the Authorization header marks a tool's request (no page, no CSRF
    # token), which the app lets through.
    headers = {"HX-Request": "true", "Authorization": "Bearer test"}

    def client(i: int) -> None:
        with httpx.Client(base_url=base, headers=headers, timeout=30) as http:
            barrier.wait()
            for j in range(5):
                for path, field in (("/items", "title"), ("/notes", "text")):
                    r = http.post(path, data={field: f"{i}-{j}"})
                    with lock:
                        answers.append((r.status_code, r.text))

    threads = [threading.Thread(target=client, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert len(answers) == 200
    assert [a for a in answers if a[0] != 200 or "locked" in a[1]] == []
    db = store.db
    assert [r["seen"] for r in db.query("SELECT seen FROM items ORDER BY id")] == list(range(100))
    assert db["log"].count == 100 and db["notes"].count == 100
    titles = {r["title"] for r in db["items"].rows}
    assert titles == {f"{i}-{j}" for i in range(20) for j in range(5)}
