"""A child process of the lost-update test: toggles one row through ``Table.modify`` from a
few threads of its own. It prints ``ready``, waits for a line on stdin (so that every
process starts together), then prints what each toggle wrote: ``<flips> <on>``.

    python -m tests.appkit.data.toggler PATH THREADS TIMES
"""

from __future__ import annotations

import sys
import threading
from dataclasses import dataclass, replace

from appkit.data import Store


@dataclass
class Switch:
    on: bool = False
    flips: int = 0  # how many toggles the row has had: each toggle sees a different one
    id: int | None = None


def toggle(switch: Switch) -> Switch:
    return replace(switch, on=not switch.on, flips=switch.flips + 1)


def toggle_many(store: Store, pk: int, times: int, seen: list[Switch]) -> None:
    """Toggle row ``pk`` ``times`` times, appending what each toggle wrote to ``seen``."""
    switches = store.table_for(Switch)
    for _ in range(times):
        seen.append(switches.modify(pk, toggle))


def main(path: str, threads: int, times: int) -> None:
    store = Store(path)
    seen: list[Switch] = []
    workers = [threading.Thread(target=toggle_many, args=(store, 1, times, seen))
               for _ in range(threads)]
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    sys.stdin.readline()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    store.close()
    sys.stdout.write("".join(f"{s.flips} {int(s.on)}\n" for s in seen))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
