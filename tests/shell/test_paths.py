"""An app's per-user folders are settled when its AppDirs is made."""

from __future__ import annotations

from pathlib import Path

import pytest

from shell.paths import AppDirs


def test_the_folders_stay_where_they_were_when_the_environment_changes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dirs = AppDirs("notes")
    data, runtime = dirs.data, dirs.runtime
    for variable in ("XDG_DATA_HOME", "XDG_RUNTIME_DIR", "XDG_CONFIG_HOME"):
        monkeypatch.setenv(variable, str(tmp_path / variable))
    assert (dirs.data, dirs.runtime) == (data, runtime)
    assert AppDirs("notes").data == tmp_path / "XDG_DATA_HOME" / "notes"
    assert AppDirs("notes") == dirs   # the same app's folders, by its id
