"""appkit.loader.load_app: files, folders, module:attr, and the errors that say what to do."""

from __future__ import annotations

import importlib
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from appkit import App, AppLoadError
from appkit.loader import load_app


@pytest.fixture(autouse=True)
def _restore_imports(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Undo what loading did: sys.path entries and the modules imported from tmp_path."""
    monkeypatch.setattr(sys, "path", list(sys.path))
    before = set(sys.modules)
    yield
    for name in set(sys.modules) - before:
        module = sys.modules.get(name)
        file = getattr(module, "__file__", None) or ""
        if file.startswith(str(tmp_path)) or name.startswith("_appkit_app_"):
            del sys.modules[name]
    importlib.invalidate_caches()


def write(path: Path, source: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(source).lstrip())
    importlib.invalidate_caches()
    return path


APP_SOURCE = """
from appkit import App

app = App("loaded")
app.marker = {marker!r}
"""


def app_file(path: Path, marker: str = "x") -> Path:
    return write(path, APP_SOURCE.format(marker=marker))


# ---- what can be loaded ------------------------------------------------------------------------


def test_py_file(tmp_path: Path) -> None:
    path = app_file(tmp_path / "myapp_file.py", "file")
    app = load_app(str(path))
    assert isinstance(app, App)
    assert app.marker == "file"  # type: ignore[attr-defined]


def test_relative_py_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app_file(tmp_path / "rel_app.py", "relative")
    monkeypatch.chdir(tmp_path)
    assert load_app("rel_app.py").marker == "relative"


def test_folder_with_app_py(tmp_path: Path) -> None:
    app_file(tmp_path / "proj" / "app.py", "folder")
    assert load_app(str(tmp_path / "proj")).marker == "folder"


def test_folder_given_relative_without_slash(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    app_file(tmp_path / "proj_rel" / "app.py", "folder-rel")
    monkeypatch.chdir(tmp_path)
    assert load_app("proj_rel").marker == "folder-rel"


def test_sibling_modules_import(tmp_path: Path) -> None:
    write(tmp_path / "sib" / "helpers_for_sib.py", "GREETING = 'hi from sibling'\n")
    write(tmp_path / "sib" / "app.py", """
        from appkit import App
        from helpers_for_sib import GREETING

        app = App("sib")
        app.marker = GREETING
    """)
    assert load_app(str(tmp_path / "sib")).marker == "hi from sibling"


def test_file_with_attr(tmp_path: Path) -> None:
    write(tmp_path / "two_names.py", """
        from appkit import App

        app = App("default")
        other = App("other")
    """)
    assert load_app(str(tmp_path / "two_names.py")).name == "default"
    assert load_app(f"{tmp_path / 'two_names.py'}:other").name == "other"


def test_module_attr(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "ldpkg" / "__init__.py", "")
    write(tmp_path / "ldpkg" / "web.py", """
        from appkit import App

        application = App("web")
    """)
    monkeypatch.chdir(tmp_path)
    app = load_app("ldpkg.web:application")
    assert isinstance(app, App)
    assert app.name == "web"


def test_module_default_attr_is_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "ldpkg2" / "__init__.py", "")
    write(tmp_path / "ldpkg2" / "main.py", """
        from appkit import App

        app = App("main-app")
        spare = App("spare")
    """)
    monkeypatch.chdir(tmp_path)
    assert load_app("ldpkg2.main").name == "main-app"


def test_module_on_sys_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "elsewhere" / "syspath_mod.py", APP_SOURCE.format(marker="sys.path"))
    monkeypatch.syspath_prepend(str(tmp_path / "elsewhere"))
    assert load_app("syspath_mod").marker == "sys.path"


def test_dotted_attribute(tmp_path: Path) -> None:
    write(tmp_path / "dotted.py", """
        from types import SimpleNamespace
        from appkit import App

        holder = SimpleNamespace(inner=App("inner"))
    """)
    assert load_app(f"{tmp_path / 'dotted.py'}:holder.inner").name == "inner"


def test_single_app_found_without_the_name_app(tmp_path: Path) -> None:
    write(tmp_path / "only_one.py", """
        from appkit import App

        website = App("only")
        not_an_app = 42
    """)
    assert load_app(str(tmp_path / "only_one.py")).name == "only"


def test_any_asgi_callable_is_accepted(tmp_path: Path) -> None:
    write(tmp_path / "raw_asgi.py", """
        async def app(scope, receive, send):
            pass
    """)
    assert callable(load_app(str(tmp_path / "raw_asgi.py")))


def test_two_files_with_the_same_name_load_separately(tmp_path: Path) -> None:
    app_file(tmp_path / "one" / "app.py", "first")
    app_file(tmp_path / "two" / "app.py", "second")
    first = load_app(str(tmp_path / "one"))
    second = load_app(str(tmp_path / "two"))
    assert (first.marker, second.marker) == ("first", "second")


def test_loading_adds_the_files_folder_to_sys_path(tmp_path: Path) -> None:
    app_file(tmp_path / "pathy" / "app.py")
    load_app(str(tmp_path / "pathy"))
    assert str((tmp_path / "pathy").resolve()) in sys.path


# ---- the errors ---------------------------------------------------------------------------------


def test_two_apps_without_app_name_them(tmp_path: Path) -> None:
    path = write(tmp_path / "two_apps.py", """
        from appkit import App

        admin = App("admin")
        public = App("public")
    """)
    with pytest.raises(AppLoadError) as info:
        load_app(str(path))
    message = str(info.value)
    assert "2 apps" in message
    assert ":attribute" in message or ":" in message
    # The user has to pick one: the message names the candidates.
    assert "admin" in message
    assert "public" in message


def test_no_app_at_all(tmp_path: Path) -> None:
    path = write(tmp_path / "no_app.py", "x = 1\n")
    with pytest.raises(AppLoadError, match="defines no app"):
        load_app(str(path))


def test_nonexistent_path(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "app.py"
    with pytest.raises(AppLoadError) as info:
        load_app(str(missing))
    message = str(info.value)
    assert str(missing) in message
    assert "There is no file or folder" in message
    assert "module:attribute" in message  # how to fix it


def test_nonexistent_relative_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(AppLoadError, match="no file or folder at 'apps/missing'"):
        load_app("apps/missing")


def test_nonexistent_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(AppLoadError) as info:
        load_app("no_such_module_xyz:app")
    message = str(info.value)
    assert "No module named 'no_such_module_xyz'" in message
    assert "path" in message  # suggests giving a path instead


def test_nonexistent_submodule(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "ldpkg3" / "__init__.py", "")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(AppLoadError, match="No module named 'ldpkg3.nothere'"):
        load_app("ldpkg3.nothere")


def test_module_whose_own_import_is_missing(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "needs_dep.py", "import not_installed_dep_xyz\n")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(AppLoadError) as info:
        load_app("needs_dep")
    message = str(info.value)
    assert "failed to import" in message
    assert "not_installed_dep_xyz" in message


def test_missing_dependency_whose_name_prefixes_the_module(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # "shopapp" imports a missing "shop": the missing module is the dependency, not
    # "shopapp" itself, so the message must say the app failed to import.
    write(tmp_path / "shopapp.py", "import shop\n")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(AppLoadError) as info:
        load_app("shopapp")
    message = str(info.value)
    assert "failed to import" in message, message
    assert "'shop'" in message


def test_file_whose_import_is_missing(tmp_path: Path) -> None:
    path = write(tmp_path / "bad_dep.py", "import os\nimport not_installed_dep_abc\n")
    with pytest.raises(AppLoadError) as info:
        load_app(str(path))
    message = str(info.value)
    assert "ModuleNotFoundError" in message
    assert "not_installed_dep_abc" in message
    assert "line 2" in message


def test_folder_without_app_py(tmp_path: Path) -> None:
    (tmp_path / "empty_proj").mkdir()
    (tmp_path / "empty_proj" / "main.py").write_text("")
    with pytest.raises(AppLoadError) as info:
        load_app(str(tmp_path / "empty_proj"))
    message = str(info.value)
    assert "has no app.py" in message
    assert str(tmp_path / "empty_proj") in message


def test_folder_with_an_app_py_folder(tmp_path: Path) -> None:
    (tmp_path / "odd" / "app.py").mkdir(parents=True)
    with pytest.raises(AppLoadError, match="has no app.py"):
        load_app(str(tmp_path / "odd"))


@pytest.mark.parametrize("name", ["notes.txt", "app.pyc", "Makefile"])
def test_not_a_python_file(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text("app = 1\n")
    with pytest.raises(AppLoadError, match=r"not a Python file \(\.py\)"):
        load_app(str(path))


def test_module_raising_on_import_says_what_and_where(tmp_path: Path) -> None:
    path = write(tmp_path / "raises.py", """
        from appkit import App

        app = App("raises")
        raise RuntimeError("database is locked")
    """)
    with pytest.raises(AppLoadError) as info:
        load_app(str(path))
    message = str(info.value)
    assert "RuntimeError: database is locked" in message
    assert str(path) in message
    assert "line 4" in message
    assert "raises" not in sys.modules  # the half-imported module is not left behind


def test_error_raised_by_appkit_points_at_the_apps_line(tmp_path: Path) -> None:
    # App("") raises inside appkit; the line to fix is the app's, not appkit's.
    path = write(tmp_path / "bad_name.py", """
        from appkit import App

        app = App("")
    """)
    with pytest.raises(AppLoadError) as info:
        load_app(str(path))
    message = str(info.value)
    assert "ConfigurationError" in message
    assert f"{path}, line 3" in message, message


def test_error_in_a_sibling_module_names_that_file(tmp_path: Path) -> None:
    write(tmp_path / "deep" / "broken_helper.py", "x = 1\nraise KeyError('missing key')\n")
    write(tmp_path / "deep" / "app.py", """
        from appkit import App
        import broken_helper

        app = App("deep")
    """)
    with pytest.raises(AppLoadError) as info:
        load_app(str(tmp_path / "deep"))
    message = str(info.value)
    assert "KeyError" in message
    assert "broken_helper.py" in message
    assert "line 2" in message


def test_syntax_error_says_where(tmp_path: Path) -> None:
    path = write(tmp_path / "syntax_bad.py", "from appkit import App\napp = App(\n")
    with pytest.raises(AppLoadError) as info:
        load_app(str(path))
    message = str(info.value)
    assert "SyntaxError" in message
    assert "line 2" in message


def test_module_raising_on_import_via_module_ref(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "raises_mod.py", "x = 1\nraise ValueError('bad config')\n")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(AppLoadError) as info:
        load_app("raises_mod:app")
    message = str(info.value)
    assert "ValueError: bad config" in message
    assert "line 2" in message


@pytest.mark.parametrize("statement", ["raise SystemExit(3)", "import sys; sys.exit()",
                                       "raise KeyboardInterrupt"])
def test_stopping_the_program_at_import(tmp_path: Path, statement: str) -> None:
    path = write(tmp_path / "exits.py", f"from appkit import App\napp = App('x')\n{statement}\n")
    with pytest.raises(AppLoadError) as info:
        load_app(str(path))
    message = str(info.value)
    assert "stopped the program" in message
    assert str(path) in message
    assert "exits" not in sys.modules


def test_system_exit_at_import_via_module_ref(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "exits_mod.py", "raise SystemExit(1)\n")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(AppLoadError, match=r"stopped the program \(SystemExit\)"):
        load_app("exits_mod")


@pytest.mark.parametrize("value, kind", [("42", "int"), ("'text'", "str"), ("None", "NoneType"),
                                         ("App", "type"), ("[1]", "list")])
def test_app_attribute_that_is_not_an_app(tmp_path: Path, value: str, kind: str) -> None:
    path = write(tmp_path / "notapp.py", f"from appkit import App\napp = {value}\n")
    with pytest.raises(AppLoadError) as info:
        load_app(str(path))
    message = str(info.value)
    assert f"names a {kind}, not an app" in message


def test_named_attribute_that_is_not_an_app(tmp_path: Path) -> None:
    path = write(tmp_path / "named.py", "settings = {'debug': True}\n")
    with pytest.raises(AppLoadError, match="names a dict, not an app"):
        load_app(f"{path}:settings")


def test_missing_attribute(tmp_path: Path) -> None:
    path = write(tmp_path / "attrs.py", "from appkit import App\napp = App('x')\n")
    with pytest.raises(AppLoadError) as info:
        load_app(f"{path}:nope")
    message = str(info.value)
    assert "no attribute 'nope'" in message
    assert "':'" in message


def test_syntax_error_shows_the_apps_line_with_a_caret(tmp_path: Path) -> None:
    # The compiler's error carries its own place; the traceback's frames are the loader's.
    path = write(tmp_path / "caret_bad.py", "from appkit import App\nif x = 3:\n    pass\n")
    with pytest.raises(AppLoadError) as info:
        load_app(str(path))
    message = str(info.value)
    assert f"at {path}, line 2:\n    if x = 3:\n       ^^^^^\n" in message, message
    assert "loader.py" not in message, message
    assert message.endswith("run the command again."), message


def test_runtime_error_shows_the_line_with_a_caret_under_the_expression(tmp_path: Path
                                                                         ) -> None:
    path = write(tmp_path / "key_bad.py", "x = {'a': 1}\n\ny = x['b'] + 2\n")
    with pytest.raises(AppLoadError) as info:
        load_app(str(path))
    message = str(info.value)
    assert f"KeyError: 'b'\n  at {path}, line 3:\n    y = x['b'] + 2\n        ^^^^^^\n" in message


def test_reloading_says_save_the_file_instead_of_run_again(tmp_path: Path) -> None:
    path = write(tmp_path / "reload_bad.py", "def f(:\n    pass\n")
    with pytest.raises(AppLoadError) as info:
        load_app(str(path), reloading=True)
    message = str(info.value)
    assert message.endswith("save the file: the app restarts by itself."), message
    assert "run the command again" not in message
