"""Logs and locks beside the database."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from appkit.jobs._files import (
    hold,
    hold_run_lock,
    is_held,
    read_log,
    release,
    release_run_lock,
)
from tests.appkit.jobs.conftest import MakeJobs


def test_read_log_follows_a_growing_file_without_cutting_characters(tmp_path: Path) -> None:
    log = tmp_path / "1.log"
    assert read_log(log) == ("", 0)
    data = "é→ok\n".encode()
    log.write_bytes(data[:3])  # "é" and the first byte of "→"
    text, offset = read_log(log)
    assert (text, offset) == ("é", 2)
    with log.open("ab") as handle:
        handle.write(data[3:])
    assert read_log(log, offset) == ("→ok\n", len(data))
    assert read_log(log, len(data)) == ("", len(data))
    log.write_bytes(b"ab\xe2")
    assert read_log(log, final=True) == ("ab\ufffd", 3)


def test_a_lock_is_held_until_its_process_ends(tmp_path: Path) -> None:
    path = tmp_path / "lock"
    assert not is_held(path)
    fd = hold(path)
    assert fd is not None and is_held(path)
    assert hold(path, wait=False) is None
    release(fd, path)
    assert not is_held(path) and not path.exists()
    child = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from appkit.jobs._files import hold; "
         "from pathlib import Path; hold(Path(sys.argv[1])); print('held', flush=True); "
         "time.sleep(60)", str(path)], stdout=subprocess.PIPE)
    assert child.stdout is not None and child.stdout.readline() == b"held\n"
    assert is_held(path)
    child.kill()
    child.communicate()
    assert not is_held(path)  # released by the system: the file stays, unlocked


def test_read_log_from_past_its_end_reads_nothing(tmp_path: Path) -> None:
    log = tmp_path / "run.log"
    log.write_bytes(b"abc")
    # Past the end, and past what a file offset can be (seek would refuse them).
    for offset in (3, 4, 2**62, 2**63 - 1, 2**63, 10**30):
        assert read_log(log, offset) == ("", offset)


def test_a_run_lock_is_taken_from_the_free_ones_and_given_back(tmp_path: Path) -> None:
    free = tmp_path / "free"
    free.mkdir()
    first = tmp_path / "run-1-1.lock"
    fd = hold_run_lock(first, free)  # none free: made
    assert is_held(first)
    inode = first.stat().st_ino
    release_run_lock(fd, first, free)
    assert not first.exists() and not is_held(first)
    [given] = list(free.iterdir())
    assert given.stat().st_ino == inode and not is_held(given)
    second = tmp_path / "run-2-1.lock"
    fd = hold_run_lock(second, free)  # the same file, renamed: nothing made
    assert second.stat().st_ino == inode and is_held(second)
    assert list(free.iterdir()) == []
    release_run_lock(fd, second, free)


def test_the_workers_of_a_scheduler_reuse_their_lock_files(make_jobs: MakeJobs) -> None:
    jobs = make_jobs(max_concurrent_runs=1)
    for n in range(5):
        assert jobs.wait(jobs.enqueue("add", {"a": n}), 30).output == n
    locks = jobs.path.with_name(f"{jobs.path.name}-runs") / "locks"
    assert [p.name for p in locks.glob("run-*")] == []
    # Kept for the next runs (free, or locked ahead by the waiting worker), not deleted;
    # and not one per run.
    kept = [*(locks / "free").iterdir(), *locks.glob("next-*")]
    assert 1 <= len(kept) <= 3
