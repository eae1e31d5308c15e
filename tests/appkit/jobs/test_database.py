"""The scheduler's database on its own: claims, the periodic arithmetic, files it cannot
use."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from appkit.jobs.database import SCHEMA_VERSION, JobsDatabase, next_occurrence
from appkit.jobs.errors import JobsError, RunNotFound


def test_next_occurrence_skips_what_was_missed() -> None:
    assert next_occurrence(100.0, 10.0, 100.0) == 110.0
    assert next_occurrence(100.0, 10.0, 104.0) == 110.0
    assert next_occurrence(100.0, 10.0, 110.0) == 120.0  # never now: the next one
    assert next_occurrence(100.0, 10.0, 137.5) == 140.0  # two missed, not run in a burst
    assert next_occurrence(100.0, 0.3, 100.05) == pytest.approx(100.3)


_CLAIMER = """
import sys, time
from pathlib import Path
from appkit.jobs.database import JobsDatabase
db = JobsDatabase(Path(sys.argv[1]))
print("ready", flush=True)
sys.stdin.readline()
for _ in range(100):
    [claim] = db.claim(sys.argv[2], ["t"], 1, time.time())
    print(claim.run_id, flush=True)
"""


def test_claims_of_several_processes_never_hand_out_a_run_twice(tmp_path: Path) -> None:
    path = tmp_path / "jobs.db"
    db = JobsDatabase(path)
    now = time.time()
    for _ in range(300):
        db.insert("t", "{}", now=now, scheduled_for=now, timeout=None, period=None,
                  retries=0)
    claimers = [subprocess.Popen([sys.executable, "-c", _CLAIMER, str(path), f"s{n}"],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE)
                for n in range(3)]
    for claimer in claimers:
        assert claimer.stdout is not None and claimer.stdout.readline() == b"ready\n"
    for claimer in claimers:  # all at once
        assert claimer.stdin is not None
        claimer.stdin.write(b"go\n")
        claimer.stdin.flush()
    claimed = [claimer.communicate(timeout=60)[0].split() for claimer in claimers]
    every = sorted(int(run_id) for ids in claimed for run_id in ids)
    # Each one claims its 100 while the others claim theirs (a quota, so that one started
    # early by the system cannot take all 300 before the others begin): none twice.
    assert [len(ids) for ids in claimed] == [100, 100, 100]
    assert every == list(range(1, 301))
    assert db.counts()["running"] == 300
    db.close()


def test_a_run_not_due_or_of_an_unknown_task_is_not_claimed(tmp_path: Path) -> None:
    db = JobsDatabase(tmp_path / "jobs.db")
    now = time.time()
    db.insert("later", "{}", now=now, scheduled_for=now + 60, timeout=None, period=None,
              retries=0)
    db.insert("other", "{}", now=now, scheduled_for=now, timeout=None, period=None,
              retries=0)
    assert db.claim("me", ["later", "mine"], 5, now) == []
    assert db.next_due(["later"]) == pytest.approx(now + 60)
    [claim] = db.claim("me", ["later"], 5, now + 61)
    assert (claim.task, claim.claim, claim.deadline) == ("later", 1, None)
    db.close()


def test_a_file_that_is_not_a_scheduler_database(tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not SQLite" * 100)
    with pytest.raises(JobsError, match="is not a usable scheduler database"):
        JobsDatabase(junk)
    newer = tmp_path / "newer.db"
    conn = sqlite3.connect(newer)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(JobsError, match="written by a newer version of appkit"):
        JobsDatabase(newer)
    with pytest.raises(JobsError, match="does not exist"):
        JobsDatabase(tmp_path / "missing.db", create=False)


def test_the_database_is_private_to_the_user(tmp_path: Path) -> None:
    path = tmp_path / "new" / "jobs.db"
    JobsDatabase(path).close()
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o777 == 0o700


def test_numbers_beyond_sqlites_integers_are_no_run(tmp_path: Path) -> None:
    db = JobsDatabase(tmp_path / "jobs.db")
    try:
        now = time.time()
        run_id, _ = db.insert("t", "{}", now=now, scheduled_for=now, timeout=None,
                              period=None, retries=0)
        for number in (2**63, -(2**63) - 1, 10**30):
            with pytest.raises(RunNotFound, match=f"There is no run {number} in "):
                db.get(number)
            with pytest.raises(RunNotFound, match=f"There is no run {number} in "):
                db.cancel(number, now)
        # Every id is below 2**63 (and above its negative): the same runs as the limits.
        assert [run.id for run in db.runs(before=10**30)] == [run_id]
        assert db.runs(before=-(10**30)) == []
    finally:
        db.close()
