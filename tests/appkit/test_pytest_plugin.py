"""appkit.testing.pytest_plugin: a user's own test suite, run by pytest, gets private
per-user folders for each test (so a fresh app.db) and writes nothing to the real ones."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from shell.paths import AppDirs

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[2]

NOTES_APP = '''
from appkit import App


def create_app() -> App:
    app = App("notes")

    @app.migration(1)
    def create_notes(db):
        db["notes"].create({"id": int, "text": str}, pk="id")

    @app.post("/notes")
    def add(text: str) -> dict:
        app.db["notes"].insert({"text": text})
        return {"ok": True}

    @app.get("/notes")
    def notes() -> dict:
        return {"notes": [row["text"] for row in app.db["notes"].rows]}

    return app
'''

USER_TESTS = '''
from pathlib import Path

from appkit.testing import Client
from notes_app import create_app


def test_a_note_is_kept() -> None:
    with Client(create_app()) as client:
        client.post("/notes", data={"text": "first"})
        assert client.get("/notes").json() == {"notes": ["first"]}


def test_the_next_test_starts_with_a_fresh_database() -> None:
    with Client(create_app()) as client:
        client.post("/notes", data={"text": "second"})
        assert client.get("/notes").json() == {"notes": ["second"]}


def test_the_fixture_says_where_the_folders_are(appkit_user_folders) -> None:
    app = create_app()
    with Client(app) as client:
        client.post("/notes", data={"text": "third"})
    assert app.store.path == appkit_user_folders.data / "notes" / "notes.db"
    assert app.store.path.is_file()
'''


@pytest.fixture
def real_folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Folders standing in for the real user's, as the user's pytest finds them."""
    folders = []
    for variable in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME",
                     "XDG_CACHE_HOME", "XDG_RUNTIME_DIR"):
        folder = tmp_path / "real" / variable.lower()
        folder.mkdir(parents=True, mode=0o700)
        monkeypatch.setenv(variable, str(folder))
        folders.append(folder)
    return folders


def test_a_users_suite_writes_nothing_to_the_real_folders(
        pytester: pytest.Pytester, real_folders: list[Path]) -> None:
    pytester.makepyfile(notes_app=NOTES_APP, test_notes=USER_TESTS)
    pytester.makeconftest('pytest_plugins = ["appkit.testing.pytest_plugin"]\n')
    # Without the plugin, this is where the app's database would go.
    assert AppDirs("notes").data.parent in real_folders
    AppDirs("notes").data.rmdir()
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-W", "error")
    written = [path for folder in real_folders for path in folder.rglob("*")]
    assert written == [], result.stdout.str()
    result.assert_outcomes(passed=3)


def test_the_plugin_is_registered_for_pytest_under_its_module_name() -> None:
    """So pytest loads it wherever appkit is installed, and a conftest naming it in
    ``pytest_plugins`` as well does not load it twice."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    plugins = project["project"]["entry-points"]["pytest11"]
    assert plugins == {"appkit.testing.pytest_plugin": "appkit.testing.pytest_plugin"}


def test_the_entry_point_and_a_conftest_naming_it_load_it_once(
        pytester: pytest.Pytester) -> None:
    # An installed distribution with appkit's entry point, as pip makes it.
    info = pytester.mkdir("appkit_entry_point-1.0.dist-info")
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: appkit-entry-point\n"
                                   "Version: 1.0\n")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    lines = [f"{name} = {value}" for name, value in
             project["project"]["entry-points"]["pytest11"].items()]
    (info / "entry_points.txt").write_text("[pytest11]\n" + "\n".join(lines) + "\n")
    pytester.makeconftest('pytest_plugins = ["appkit.testing.pytest_plugin"]\n')
    pytester.makepyfile(test_once="""
        import os

        def test_one_set_of_folders(request, appkit_user_folders):
            plugin = request.config.pluginmanager.get_plugin("appkit.testing.pytest_plugin")
            assert plugin is not None
            assert os.environ["XDG_DATA_HOME"] == str(appkit_user_folders.data)
            assert request.fixturenames.count("appkit_user_folders") == 1
    """)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--trace-config")
    result.assert_outcomes(passed=1)
    # Loaded through the entry point (the distribution above), and not a second time.
    result.stdout.fnmatch_lines(["*appkit-entry-point-1.0 at *pytest_plugin.py"])
    loaded = [line for line in result.stdout.lines if line.startswith(
        "PLUGIN registered: <module 'appkit.testing.pytest_plugin'")]
    assert len(loaded) == 1, loaded
