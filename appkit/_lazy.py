"""``lazy_names``: a package's names imported when first asked for. A module of its own
that imports nothing of appkit, so that light packages (``appkit.jobs`` in a worker
process) can use it."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_names"]


def lazy_names(module: str, names: Mapping[str, str]) -> Callable[[str], Any]:
    """A package's ``__getattr__`` that imports each of ``names`` (name -> the module that
    defines it) when it is first asked for, so that importing the package stays light::

        __getattr__ = lazy_names(__name__, {"Jobs": "appkit.jobs.scheduler"})
    """

    def __getattr__(name: str) -> Any:  # noqa: N807 (a module's hook)
        where = names.get(name)
        if where is None:
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(where), name)
        setattr(sys.modules[module], name, value)
        return value

    return __getattr__
