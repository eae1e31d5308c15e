"""``appkit.testing.pytest_plugin``: every test gets per-user folders of its own.

An app keeps its database, its job runs, its settings and its logs in the user's folders
(``shell.paths.AppDirs``). Without this plugin, ``Client(app)`` in a test would read and
write the real ones: the developer's own data, shared between tests and between runs.

With it, each test (and every process the test starts) sees new, empty folders under
pytest's temporary directory, so an app made in the test starts with a fresh ``app.db``
and a fresh ``app.jobs`` database. pytest loads it by itself once appkit is installed
(the ``pytest11`` entry point); ``pytest_plugins = ["appkit.testing.pytest_plugin"]`` in
the root ``conftest.py`` loads it too, and ``-p no:appkit.testing.pytest_plugin`` turns it
off. The ``appkit_user_folders`` fixture gives a test the folders. See docs/testing.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import platformdirs
import pytest

__all__ = ["UserFolders", "appkit_user_folders"]

# The variables platformdirs reads on Linux and macOS, and the folder each one names.
_VARIABLES = (("XDG_CONFIG_HOME", "config"), ("XDG_DATA_HOME", "data"),
              ("XDG_STATE_HOME", "state"), ("XDG_CACHE_HOME", "cache"),
              ("XDG_RUNTIME_DIR", "runtime"))


@dataclass(frozen=True)
class UserFolders:
    """A test's private per-user folders (each app's folders are inside them, named after
    the app: ``data / "notes"`` holds the ``notes`` app's ``notes.db``)."""

    config: Path
    data: Path
    state: Path
    cache: Path
    runtime: Path


@pytest.fixture(autouse=True)
def appkit_user_folders(tmp_path_factory: pytest.TempPathFactory,
                        monkeypatch: pytest.MonkeyPatch) -> UserFolders:
    """Point the per-user folders (config, data, state and logs, cache, runtime) at new
    empty folders for this test, in this process and the processes it starts."""
    base = tmp_path_factory.mktemp("user")
    folders: dict[str, Path] = {}
    for variable, name in _VARIABLES:
        folder = base / name
        folder.mkdir(mode=0o700)
        monkeypatch.setenv(variable, str(folder))
        folders[name] = folder
    if not _follows(folders["data"]):
        # Windows (and macOS with an older platformdirs) ignore the XDG variables: use the
        # Unix rules, which read them, in this process.
        from platformdirs.unix import Unix

        monkeypatch.setattr(platformdirs, "PlatformDirs", Unix)
        if not _follows(folders["data"]):
            pytest.fail("appkit.testing could not give this test private per-user folders: "
                        f"platformdirs {platformdirs.__version__} does not follow the XDG "
                        "variables here. Upgrade it: pip install -U platformdirs")
    return UserFolders(**folders)


def _follows(data: Path) -> bool:
    """Whether platformdirs puts a user data folder under ``data``."""
    return Path(platformdirs.user_data_dir("appkit-probe", False)).parent == data
