"""Finding the app a command names: a ``.py`` file, a folder with ``app.py``, or
``module:attr``. Used by ``appkit run`` (and later ``appkit build``)."""

from __future__ import annotations

import importlib
import importlib.util
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from appkit.errors import AppLoadError

__all__ = ["load_app", "find_app", "locate", "Location"]


@dataclass(frozen=True)
class Location:
    """Where a target's code is, for ``appkit build``: the module to import (``module``,
    ``attr``), the folder on ``sys.path`` for it (``path_root``) and the folder of the
    app's module (``folder``: its data files are found relative to it)."""

    module: str
    attr: str
    folder: Path
    path_root: Path


def locate(target: str) -> Location:
    """Where the app ``target`` names lives, without importing it.

    Raises:
        AppLoadError: the target does not exist, or its file name would hide a module of
            Python's standard library inside a built executable.
    """
    module_part, _, attr = target.partition(":") if _is_module_ref(target) else (target, "", "")
    path = Path(module_part)
    if module_part.endswith(".py") or path.exists() or "/" in module_part or "\\" in module_part:
        file = _app_file(path).resolve()
        if file.stem in sys.stdlib_module_names:
            raise AppLoadError(
                f"The app's file is called {file.name}, which is also the name of a module of "
                f"Python's standard library; rename it (e.g. app.py or {file.stem}_app.py).")
        return Location(file.stem, attr, file.parent, file.parent)
    spec = None
    try:
        if "" not in sys.path and str(Path.cwd()) not in sys.path:
            sys.path.insert(0, str(Path.cwd()))
        spec = importlib.util.find_spec(module_part)
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.origin:
        raise AppLoadError(
            f"No module named {module_part!r} (looked in the current directory and the "
            "installed packages). Give a path to the app's .py file, or run from the "
            "folder that holds the module.")
    origin = Path(spec.origin).resolve()
    depth = module_part.count(".") + (1 if origin.name == "__init__.py" else 0)
    root = origin.parent
    for _ in range(depth):
        root = root.parent
    return Location(module_part, attr, origin.parent, root)


def load_app(target: str, *, reloading: bool = False) -> Any:
    """Import and return the app named by ``target``.

    ``path/to/app.py`` and ``path/to/folder`` (its ``app.py``) are imported from the file,
    with the file's folder on ``sys.path`` so its sibling modules import; ``package.module``
    or ``package.module:attr`` is imported as a module from the current directory. The
    attribute defaults to ``app``; without one, the module's only ``App`` is taken.
    ``reloading``: the app runs under ``appkit run``'s reload loop, which restarts it when
    a file is saved (an import error's advice says so instead of "run the command again").

    Raises:
        AppLoadError: the target does not exist, fails to import, or is not an app; the
            message says how to fix it.
    """
    module_part, _, attr = target.partition(":") if _is_module_ref(target) else (target, "", "")
    path = Path(module_part)
    advice = SAVE_AGAIN if reloading else RUN_AGAIN
    if module_part.endswith(".py") or path.exists() or "/" in module_part or "\\" in module_part:
        module = _import_file(path, advice)
    else:
        module = _import_module(module_part, advice)
    return find_app(module, attr, target)


def _is_module_ref(target: str) -> bool:
    # "C:\\apps\\x.py" is a path, "pkg.mod:app" is a module reference.
    head, sep, _ = target.partition(":")
    return bool(sep) and len(head) > 1 and not Path(target).exists()


def _app_file(path: Path) -> Path:
    if not path.exists():
        raise AppLoadError(
            f"There is no file or folder at {str(path)!r}. Give the path of the app's .py "
            "file, a folder that holds an app.py, or module:attribute (e.g. myapp.main:app)."
        )
    if path.is_dir():
        folder = path
        path = path / "app.py"
        if not path.is_file():
            raise AppLoadError(
                f"The folder {str(folder)!r} has no app.py. Name the app's file instead "
                f"(e.g. {folder / 'main.py'}) or add an app.py that creates the App."
            )
    if path.suffix != ".py":
        raise AppLoadError(f"{str(path)!r} is not a Python file (.py). Give the app's .py file.")
    return path


def _import_file(path: Path, advice: str) -> Any:
    path = _app_file(path).resolve()
    folder_str = str(path.parent)
    if folder_str not in sys.path:
        sys.path.insert(0, folder_str)
    name = path.stem if path.stem not in sys.modules else f"_appkit_app_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise AppLoadError(f"Python cannot import {str(path)!r}.")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException as exc:
        sys.modules.pop(name, None)
        raise _import_failed(str(path), exc, path.parent, advice) from exc
    return module


def _import_module(name: str, advice: str) -> Any:
    if "" not in sys.path and str(Path.cwd()) not in sys.path:
        sys.path.insert(0, str(Path.cwd()))
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name and (name == exc.name or name.startswith(exc.name + ".")):
            raise AppLoadError(
                f"No module named {name!r} (looked in the current directory and the "
                "installed packages). Give a path to the app's .py file, or run from the "
                "folder that holds the module."
            ) from exc
        raise _import_failed(name, exc, None, advice) from exc
    except BaseException as exc:
        raise _import_failed(name, exc, None, advice) from exc


#: What to do after fixing an import error, by how the app was started.
RUN_AGAIN = "Fix the error in the app's code and run the command again."
SAVE_AGAIN = "Fix the error in the app's code and save the file: the app restarts by itself."


def _import_failed(what: str, exc: BaseException, folder: Path | None = None,
                   advice: str = RUN_AGAIN) -> AppLoadError:
    if isinstance(exc, SystemExit | KeyboardInterrupt):
        return AppLoadError(f"Importing {what} stopped the program ({type(exc).__name__}). "
                            "Keep start-up code out of the module's top level.")
    if isinstance(exc, SyntaxError) and exc.filename and exc.lineno:
        # Raised by the compiler: the place is the error's own, not a frame's (those are
        # the loader's and importlib's).
        summary = f"{type(exc).__name__}: {exc.msg}"
        end = exc.end_offset if exc.end_lineno in (None, exc.lineno) else None
        where = _excerpt(exc.filename, exc.lineno, exc.text, exc.offset, end)
    else:
        summary = f"{type(exc).__name__}: {exc}"
        frames = traceback.extract_tb(exc.__traceback__)
        own = [f for f in frames
               if "importlib" not in f.filename and "<frozen" not in f.filename]
        if folder is not None:
            # Point at the app's own line, even when the error was raised deeper, in appkit.
            in_app = [f for f in own if Path(f.filename).resolve().is_relative_to(folder)]
            own = in_app or own
        where = ""
        if own:
            frame = own[-1]
            one_line = frame.end_lineno in (None, frame.lineno)
            start = None if frame.colno is None or not one_line else frame.colno + 1
            end = None if frame.end_colno is None or not one_line else frame.end_colno + 1
            where = _excerpt(frame.filename, frame.lineno, frame.line, start, end)
    return AppLoadError(f"The app failed to import: {summary}{where}\n{advice}")


def _excerpt(filename: str, lineno: int | None, text: str | None, start: int | None,
             end: int | None) -> str:
    """``at FILE, line N:`` and that line of code, with a caret under the error (``start``
    and ``end`` are 1-based columns, ``end`` exclusive)."""
    where = f"\n  at {filename}, line {lineno}"
    if not text or not text.strip():
        return where
    line = text.rstrip("\r\n").expandtabs(4)
    indent = len(line) - len(line.lstrip())
    code = line.strip()
    shown = f"{where}:\n    {code}"
    if start is None or start < 1:
        return shown
    first = max(start - 1 - indent, 0)
    last = max((end - 1 - indent) if end is not None and end > start else first + 1,
               first + 1)
    last = min(last, max(len(code), first + 1))
    return f"{shown}\n    {' ' * first}{'^' * (last - first)}"


def find_app(module: Any, attr: str, target: str) -> Any:
    """The app in an imported ``module``: its attribute ``attr`` (dotted), else its
    ``app``, else its only ``App``.

    Raises:
        AppLoadError: there is none, more than one, or the object is not an app.
    """
    if attr:
        obj = module
        for part in attr.split("."):
            if not hasattr(obj, part):
                raise AppLoadError(
                    f"{module.__name__} has no attribute {attr!r}. Check the name after ':' "
                    f"in {target!r}."
                )
            obj = getattr(obj, part)
        return _check_app(obj, target)
    if hasattr(module, "app"):
        return _check_app(module.app, target)
    from appkit.app.application import App

    apps = {k: v for k, v in vars(module).items() if isinstance(v, App)}
    if len(apps) == 1:
        return next(iter(apps.values()))
    if not apps:
        raise AppLoadError(
            f"{target!r} defines no app. Create one at the module's top level "
            "(app = App('name')) or name it with module:attribute."
        )
    names = ", ".join(sorted(apps))
    first = sorted(apps)[0]
    raise AppLoadError(
        f"{target!r} defines {len(apps)} apps ({names}); name the one to run, "
        f"e.g. {target}:{first}"
    )


def _check_app(obj: Any, target: str) -> Any:
    if callable(obj) and not isinstance(obj, type):
        return obj
    raise AppLoadError(
        f"{target!r} names a {type(obj).__name__}, not an app. Point it at an appkit App "
        "(or any ASGI application)."
    )
