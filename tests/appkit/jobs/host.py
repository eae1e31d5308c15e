"""A scheduler in a process of its own, for the tests with several processes and crashes.

    python -m tests.appkit.jobs.host DB [--max N] [--warm-up TAG] [--workers KIND]

It prints "ready" once its scheduler has started (with ``--warm-up TAG``: once a run of a
task only it knows, ``warm-up-TAG``, has completed, so its workers start at once from
then on), and runs until SIGTERM (then it stops the scheduler and exits 0) or SIGKILL.
The fallback poll is a minute long: what it does, it was woken to do.
"""

from __future__ import annotations

import argparse
import signal
import threading
from pathlib import Path

from appkit.jobs import Jobs, JobsSettings
from tests.appkit.jobs import tasks


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("db")
    parser.add_argument("--max", type=int, default=4)
    parser.add_argument("--warm-up", default="")
    parser.add_argument("--workers", default="auto")
    args = parser.parse_args()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    jobs = Jobs(Path(args.db), JobsSettings(max_concurrent_runs=args.max, poll_interval=60,
                                            stop_timeout=1.0, workers=args.workers))
    tasks.register_all(jobs)
    jobs.start()
    if args.warm_up:
        name = f"warm-up-{args.warm_up}"
        jobs.register(name, tasks.add)
        jobs.wait(jobs.enqueue(name, {"a": 1}), timeout=60)
    print("ready", flush=True)
    while not stop.wait(0.2):
        pass
    jobs.stop()


if __name__ == "__main__":
    main()
