"""A plain script with a scheduler: its work belongs under ``if __name__ == "__main__":``
(each worker process imports the script again). Without the guard, ``jobs.start()`` fails
once, naming the line and the fix, instead of a flood of multiprocessing errors."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.appkit.jobs.conftest import KINDS, ROOT

HEAD = '''
import sys
import threading
from appkit.jobs import Jobs

jobs = Jobs(sys.argv[1])
jobs.configure(workers=sys.argv[2])


@jobs.task
def add(a: int, b: int) -> int:
    return a + b


def work() -> None:
    jobs.start()
    print("output", jobs.wait(jobs.enqueue("add", {"a": 1, "b": 2}), timeout=30).output)
    jobs.stop()
'''


def run_script(tmp_path: Path, body: str, workers: str) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent(HEAD) + textwrap.dedent(body))
    return subprocess.run([sys.executable, str(script), str(tmp_path / "jobs.db"), workers],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)


def line_of(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if line == text)


@pytest.mark.parametrize("workers", KINDS)
def test_a_guarded_script_runs_its_tasks(tmp_path: Path, workers: str) -> None:
    result = run_script(tmp_path, '''
        if __name__ == "__main__":
            work()
    ''', workers)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["output", "3"]
    assert result.stderr == ""


@pytest.mark.parametrize("workers", KINDS)
@pytest.mark.parametrize("call", ["work()", "threading.Thread(target=work).start()"])
def test_an_unguarded_script_fails_once_naming_the_line_and_the_fix(
        tmp_path: Path, workers: str, call: str) -> None:
    result = run_script(tmp_path, f"\n{call}\n", workers)
    assert result.stdout == ""
    assert result.stderr.count("Traceback") == 1, result.stderr
    assert "bootstrapping" not in result.stderr, result.stderr
    line = line_of(tmp_path / "script.py", call)
    assert (f"ConfigurationError: jobs.start() runs at the top level of the script "
            f"{tmp_path / 'script.py'} (line {line}), outside an "
            '`if __name__ == "__main__":` block.') in result.stderr, result.stderr
    assert "Move the script's own work" in result.stderr
    if call == "work()":
        assert result.returncode == 1
