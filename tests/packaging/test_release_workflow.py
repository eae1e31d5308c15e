"""The release workflow (.github/workflows/release.yml) cannot run here; it is checked
against GitHub's workflow schema (check-jsonschema's bundled copy: offline) and read for
what it must do: build the todo example on Linux, Windows and macOS and run each
executable's --self-test."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import missing_dependency
from tests.packaging.conftest import REPO

WORKFLOW = REPO / ".github" / "workflows" / "release.yml"


def validate(path: Path) -> subprocess.CompletedProcess[str]:
    try:
        import check_jsonschema  # noqa: F401
    except ImportError:
        missing_dependency('check-jsonschema is not installed; run: .venv/bin/pip install '
                           '-e ".[dev]"')
    return subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema",
                           "vendor.github-workflows", str(path)],
                          capture_output=True, text=True, timeout=120)


def test_the_workflow_matches_githubs_schema() -> None:
    done = validate(WORKFLOW)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("breakage", [
    ("runs-on: ${{ matrix.os }}", "run-on: ${{ matrix.os }}"),       # a misspelt key
    ("timeout-minutes: 40", "timeout-minutes: forty"),                 # a wrong type
    ('        run: appkit build examples/todo -o dist',
     '        runs: appkit build examples/todo -o dist'),              # a step without run
])
def test_the_check_would_catch_a_broken_workflow(tmp_path: Path,
                                                 breakage: tuple[str, str]) -> None:
    text = WORKFLOW.read_text()
    assert breakage[0] in text
    broken = tmp_path / "release.yml"
    broken.write_text(text.replace(breakage[0], breakage[1], 1))
    assert validate(broken).returncode != 0


def test_it_builds_the_example_on_three_systems_and_runs_each_self_test() -> None:
    workflow = yaml.safe_load(WORKFLOW.read_text())
    job = workflow["jobs"]["build"]
    systems = [entry["os"] for entry in job["strategy"]["matrix"]["include"]]
    assert {s.split("-")[0] for s in systems} == {"ubuntu", "windows", "macos"}
    runs = "\n".join(step.get("run", "") for step in job["steps"])
    assert "appkit build examples/todo" in runs
    assert runs.count("--self-test") >= 2  # the POSIX step and the Windows one
    assert any(step.get("uses", "").startswith("actions/upload-artifact")
               for step in job["steps"])
