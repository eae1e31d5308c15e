"""Review of issue 10: ``appkit data`` and ``appkit jobs`` come from the extensions, so an
app made with the core ``appkit.app.App`` (or with only some extensions) meets them too."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from appkit.cli import main

CORE_APP = '''
from appkit.app import App

app = App("review-core")
'''

DATA_ONLY_APP = '''
from appkit.app import App
from appkit.data.extension import DataSettings

app = App("review-data", extensions=[DataSettings(keep_backups=2)])

@app.migration(1)
def create(db):
    db["t"].insert({"id": 1}, pk="id")
'''


@pytest.fixture
def write_app(tmp_path: Path) -> Iterator[Callable[[str, str], str]]:
    names: list[str] = []

    def write(name: str, source: str) -> str:
        path = tmp_path / f"{name}.py"
        path.write_text(source)
        names.append(name)
        return str(path)

    yield write
    for name in names:
        sys.modules.pop(name, None)


@pytest.mark.parametrize("words", [["data", "path"], ["data", "info"], ["jobs", "list"]])
def test_the_core_app_has_no_data_or_jobs_command(
        write_app: Callable[[str, str], str], words: list[str],
        capsys: pytest.CaptureFixture[str]) -> None:
    path = write_app("review_core", CORE_APP)
    assert main([*words, path]) == 2
    err = capsys.readouterr().err
    assert f"the {words[0]!r} extension" in err


def test_an_app_with_data_settings_only_has_appkit_data_not_jobs(
        write_app: Callable[[str, str], str], capsys: pytest.CaptureFixture[str]) -> None:
    path = write_app("review_data_only", DATA_ONLY_APP)
    assert main(["data", "migrate", path]) == 0
    assert "applied migrations 1" in capsys.readouterr().out
    assert main(["data", "info", path]) == 0
    out = capsys.readouterr().out
    assert "the newest 2 are kept" in out
    assert main(["jobs", "list", path]) == 2
    assert "'jobs' extension" in capsys.readouterr().err
