"""The child process of the crash test: commits rows in a loop through a Store and prints
each row's id once its transaction has committed (the acknowledgement), until it is killed.

    python -m tests.appkit.data.crash_writer PATH
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

from appkit.data import Database, Migrations, Store


@dataclass
class Entry:
    payload: str
    id: int | None = None


def create_audit(db: Database) -> None:
    db["audit"].create({"id": int, "entry": int}, pk="id")


def main(path: str) -> None:
    migrations = Migrations()
    migrations.add(1, create_audit)
    store = Store(path, migrations=migrations)
    entries = store.table_for(Entry)
    n = 0
    while True:
        n += 1
        with store.transaction() as db:
            entry = entries.insert(Entry("x" * (n % 700)))
            db.execute("INSERT INTO audit (entry) VALUES (?)", [entry.id])
        sys.stdout.write(f"{entry.id}\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main(sys.argv[1])
