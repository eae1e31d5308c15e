"""Starting a helper or worker process that imports only what it needs.

A process started with ``multiprocessing``'s ``spawn`` imports the module of its target
first, and importing ``appkit.jobs.worker`` runs ``appkit/__init__.py``, which imports the
whole framework (Starlette, the core, every extension: about 300 modules, 0.2 s). A worker
needs none of that unless its task's module does. A fork server that has imported it all
is bigger, and every fork and every exit of a worker costs more with it.

``boot_target(entry, **arguments)`` gives a ``Process`` the built-in ``exec`` as its target
(nothing to import) and a small program that first puts deferred stand-ins for the
``appkit`` and ``appkit.jobs`` packages in ``sys.modules``: their ``__init__`` runs only when
an attribute they do not have yet is asked for (``from appkit import App`` in a task's
module), and then it runs in full, so the package is the same as ever. Then it calls
``entry`` (``"package.module.function"``) with the arguments. The arguments are what
``spawn`` pickles: built-in types and ``multiprocessing`` connections and sockets only, no
object of an appkit class (unpickling it would import its module before the stand-ins are
in place).

In a frozen executable, or when a package is imported already, the stand-ins are left out
and the program imports as usual.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["boot_target"]

_PROGRAM = '''
def _boot(entry, arguments):
    import importlib
    import importlib.util
    import sys
    import types

    class Deferred(types.ModuleType):
        """A package whose __init__ runs when an attribute it lacks is first asked for."""

        def __getattr__(self, name):
            spec = self.__spec__
            self.__class__ = types.ModuleType  # from now on an ordinary module
            spec.loader.exec_module(self)
            return getattr(self, name)

    if not getattr(sys, "frozen", False):
        try:
            for name in ("appkit", "appkit.jobs"):
                if name in sys.modules:
                    continue
                spec = importlib.util.find_spec(name)
                if spec is None or spec.loader is None or not spec.submodule_search_locations:
                    break
                module = importlib.util.module_from_spec(spec)
                module.__class__ = Deferred
                sys.modules[name] = module
                if name == "appkit.jobs":
                    sys.modules["appkit"].__dict__["jobs"] = module
        except Exception:
            pass  # import as usual
    module_name, function = entry.rsplit(".", 1)
    getattr(importlib.import_module(module_name), function)(**arguments)


_boot(entry, arguments)
'''


def boot_target(entry: str, **arguments: Any) -> tuple[Callable[..., Any], tuple[Any, ...]]:
    """``(target, args)`` for a ``multiprocessing`` ``Process`` that calls ``entry`` (a
    function's dotted path) with ``arguments`` (see the module's description)."""
    return exec, (_PROGRAM, {"entry": entry, "arguments": arguments})
