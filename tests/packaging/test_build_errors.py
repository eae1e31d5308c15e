"""``appkit build`` on bad input: a message that says the fix, exit code 2, and nothing
written to the output folder. These stop before PyInstaller runs, so they are fast."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from appkit.cli import main

APP = '''
from appkit import App
from appkit.html import P

app = App("tiny")

@app.get("/")
def index():
    return P("tiny")
'''


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "tiny"
    folder.mkdir()
    (folder / "app.py").write_text(APP)
    monkeypatch.chdir(tmp_path)
    return folder


def build(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["build", *args])
    captured = capsys.readouterr()
    return code, captured.err


def assert_nothing_written(tmp_path: Path) -> None:
    assert not (tmp_path / "dist").exists() or list((tmp_path / "dist").iterdir()) == []


def test_a_path_that_does_not_exist(project: Path, tmp_path: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    code, err = build(capsys, str(tmp_path / "nope.py"))
    assert code == 2
    assert "There is no file or folder at" in err and "module:attribute" in err
    assert_nothing_written(tmp_path)


def test_an_app_that_fails_to_import(project: Path, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    (project / "app.py").write_text("import nonexistent_module_xyz\n")
    code, err = build(capsys, str(project))
    assert code == 2
    assert "failed to import" in err and "nonexistent_module_xyz" in err
    assert_nothing_written(tmp_path)


def test_an_object_that_is_not_an_app(project: Path, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    (project / "app.py").write_text("app = 42\n")
    code, err = build(capsys, str(project))
    assert code == 2 and "not an app" in err


def test_a_file_named_like_a_standard_module(project: Path, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    (project / "email.py").write_text(APP)
    code, err = build(capsys, str(project / "email.py"))
    assert code == 2 and "standard library" in err and "rename it" in err


def test_pyinstaller_missing(project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                             capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(sys.modules, "PyInstaller", None)  # import fails
    code, err = build(capsys, str(project))
    assert code == 2
    assert "PyInstaller is not installed" in err and "pip install 'appkit[build]'" in err
    assert_nothing_written(tmp_path)


@pytest.mark.skipif(sys.platform != "linux", reason="the backends to bundle are Linux's")
def test_the_gtk_backend_missing(project: Path, tmp_path: Path,
                                 monkeypatch: pytest.MonkeyPatch,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(sys.modules, "gi", None)
    code, err = build(capsys, str(project), "--backend", "gtk")
    assert code == 2
    assert "gtk backend cannot be bundled" in err and 'pip install "appkit[gtk]"' in err
    assert "gir1.2-webkit2-4.1" in err
    assert "--backend qt" in err


@pytest.mark.skipif(sys.platform != "linux", reason="the backends to bundle are Linux's")
def test_the_qt_backend_missing(project: Path, tmp_path: Path,
                                monkeypatch: pytest.MonkeyPatch,
                                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(sys.modules, "qtpy", None)
    code, err = build(capsys, str(project), "--backend", "qt")
    assert code == 2 and "pip install 'appkit[qt]'" in err


def test_an_unknown_backend_is_refused_by_the_command_line(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["build", str(project), "--backend", "tk"])
    assert exit_info.value.code == 2
    assert "invalid choice: 'tk'" in capsys.readouterr().err


@pytest.mark.parametrize("content, name", [
    (b"GIF89a not an icon", "icon.png"),
    (b"just text", "icon.ico"),
    (b"\xff\xd8\xff\xe0 a jpeg", "icon.jpg"),
])
def test_an_icon_in_the_wrong_format(project: Path, tmp_path: Path, content: bytes,
                                     name: str, capsys: pytest.CaptureFixture[str]) -> None:
    icon = tmp_path / name
    icon.write_bytes(content)
    code, err = build(capsys, str(project), "--icon", str(icon))
    assert code == 2
    assert "is not a PNG, ICO or ICNS image" in err
    assert_nothing_written(tmp_path)


def test_an_icon_that_does_not_exist(project: Path, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    code, err = build(capsys, str(project), "--icon", str(tmp_path / "missing.png"))
    assert code == 2 and "does not exist" in err


def test_a_declared_data_file_that_does_not_exist(project: Path, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    (project / "pyproject.toml").write_text(
        '[project]\nname = "tiny"\nversion = "1.2.3"\n\n[tool.appkit]\ndata = ["seed.csv"]\n')
    code, err = build(capsys, str(project))
    assert code == 2
    assert "seed.csv" in err and "does not exist" in err and "[tool.appkit]" in err


def test_a_data_file_outside_the_apps_folder(project: Path, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "shared.csv").write_text("a,b\n")
    (project / "pyproject.toml").write_text('[tool.appkit]\ndata = ["../shared.csv"]\n')
    code, err = build(capsys, str(project))
    assert code == 2
    assert "outside the app's folder" in err and "Move it into that folder" in err


def test_a_broken_pyproject(project: Path, tmp_path: Path,
                            capsys: pytest.CaptureFixture[str]) -> None:
    (project / "pyproject.toml").write_text("[tool.appkit\n")
    code, err = build(capsys, str(project))
    assert code == 2 and "pyproject.toml cannot be read" in err


def test_a_data_file_the_app_declares_that_does_not_exist(
        project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "app.py").write_text(APP.replace('App("tiny")',
                                                'App("tiny", data_files=["seed.csv"])'))
    code, err = build(capsys, str(project))
    assert code == 2
    assert "seed.csv" in err and "App(data_files=...)" in err and "does not exist" in err
