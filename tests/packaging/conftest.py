"""Fixtures for the frozen layer (layer 4): `appkit build` of the todo example, once per
test session, in a private folder with private per-user folders (XDG).

PyInstaller missing, or (on Linux) the GTK backend's Python packages, skips these tests on
a developer's machine with the reason and fails them in CI.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import missing_dependency
from tests.shell.conftest import gui_env, xvfb  # noqa: F401 - fixtures for the window test

REPO = Path(__file__).resolve().parents[2]
PIP_HINT = '.venv/bin/pip install -e ".[dev]"'


def private_env(base: Path) -> dict[str, str]:
    """``os.environ`` with the XDG folders (and the temporary folder) below ``base``."""
    env = dict(os.environ)
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    for name, folder in (("XDG_CONFIG_HOME", "config"), ("XDG_DATA_HOME", "data"),
                         ("XDG_STATE_HOME", "state"), ("XDG_CACHE_HOME", "cache"),
                         ("XDG_RUNTIME_DIR", "runtime"), ("TMPDIR", "tmp")):
        path = base / folder
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        env[name] = str(path)
    return env


def require_build_tools() -> None:
    if importlib.util.find_spec("PyInstaller") is None:
        missing_dependency(f"PyInstaller is not installed; run: {PIP_HINT}")
    if sys.platform == "linux" and importlib.util.find_spec("gi") is None:
        missing_dependency(f"PyGObject (the GTK backend) is not installed; run: {PIP_HINT} "
                           "after bash scripts/system-deps.sh")


@dataclass
class Built:
    """A built executable and what the build printed."""

    exe: Path
    output: str
    env: dict[str, str]  # the environment it was built in (its cache has the launcher)


def run_build(args: list[str], cwd: Path, env: dict[str, str],
              python: str = sys.executable) -> subprocess.CompletedProcess[str]:
    return subprocess.run([python, "-m", "appkit.cli", "build", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="session")
def build_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Per-user folders for the session's builds (one launcher cache for all of them)."""
    return private_env(tmp_path_factory.mktemp("build-home"))


@pytest.fixture(scope="session")
def built_todo(tmp_path_factory: pytest.TempPathFactory,
               build_env: dict[str, str]) -> Iterator[Built]:
    """``appkit build examples/todo``: one file, built once for the session."""
    require_build_tools()
    work = tmp_path_factory.mktemp("todo-build")
    done = run_build([str(REPO / "examples" / "todo"), "-o", str(work / "dist")], work,
                     build_env)
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"appkit build failed:\n{output}"
    yield Built(work / "dist" / "todo", output, build_env)
