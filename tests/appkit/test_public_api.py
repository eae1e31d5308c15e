"""Every public name of every appkit package resolves and is documented.

To cover another package, add its module name to ``PUBLIC_MODULES``.
"""

from __future__ import annotations

import importlib
import inspect
from types import ModuleType

import pytest

PUBLIC_MODULES = ["appkit.html", "appkit.app", "appkit.errors", "appkit.sessions",
                  "appkit.data", "appkit.data.admin", "appkit.jobs", "appkit.jobs.dashboard",
                  "appkit.build", "appkit.testing", "appkit.ui", "appkit.live",
                  "appkit.app.forms", "shell", "shell.menus", "appkit.ui.markdown",
                  "appkit.ui.charts", "appkit.ui.reorder", "appkit.ui.menus"]


def _top_level_has_all() -> bool:
    try:
        module = importlib.import_module("appkit")
    except ImportError:
        return False
    return hasattr(module, "__all__")


if _top_level_has_all():
    PUBLIC_MODULES.insert(0, "appkit")


def _public_names() -> list[tuple[str, str]]:
    return [
        (module_name, name)
        for module_name in PUBLIC_MODULES
        for name in importlib.import_module(module_name).__all__
    ]


def _module(name: str) -> ModuleType:
    return importlib.import_module(name)


@pytest.mark.parametrize("module_name", PUBLIC_MODULES)
def test_module_has_docstring_and_all(module_name: str) -> None:
    module = _module(module_name)
    assert inspect.getdoc(module), f"{module_name} has no docstring"
    exported = module.__all__
    assert exported, f"{module_name}.__all__ is empty"
    assert len(exported) == len(set(exported)), f"{module_name}.__all__ has duplicates"


@pytest.mark.parametrize("module_name", PUBLIC_MODULES)
def test_star_import_gives_exactly_all(module_name: str) -> None:
    namespace: dict[str, object] = {}
    exec(f"from {module_name} import *", namespace)  # noqa: S102
    namespace.pop("__builtins__", None)
    assert sorted(namespace) == sorted(_module(module_name).__all__)


@pytest.mark.parametrize(("module_name", "name"), _public_names())
def test_public_name_resolves_and_is_documented(module_name: str, name: str) -> None:
    obj = getattr(_module(module_name), name)  # AttributeError fails the test
    # Element classes made by tag_class inherit Element's docstring: getdoc finds it.
    assert inspect.getdoc(obj), f"{module_name}.{name} has no docstring"
