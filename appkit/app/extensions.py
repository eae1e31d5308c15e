"""The extension protocol: how a subsystem (sessions, data, jobs, and third-party ones)
plugs into the core ``App`` without the core importing it.

An extension is an object with a ``name`` and a ``setup(app)`` method. ``setup`` runs once,
when the extension is added to an app, and registers what the extension brings through the
app's public methods, the same ones an app author uses:

- providers: ``app.provide("user", fn)`` (named and typed special parameters);
- pipeline steps: ``app.pipeline.add(step)`` (see ``appkit.app.pipeline.Step``);
- routes: ``app.include(router)``, ``app.mount(path, asgi_app)``;
- page head assets: ``app.add_head(fn)`` (a function of the connection returning elements);
- lifespan: ``app.on_startup(fn)`` / ``app.on_shutdown(fn)``;
- attributes: every name in ``exports`` is answered by the extension on the app
  (``app.db`` is ``app.extension("data").db``);
- CLI commands: ``commands()`` returns ``Command`` entries that ``appkit`` adds as
  subcommands (``appkit data ...``).

A settings object (a frozen dataclass that checks itself) makes its extension through
``extension()``: ``App("notes", extensions=[Sessions(store="sqlite")])``.

    class Greeter:
        name = "greeter"
        exports = ("greeting",)

        def __init__(self, greeting: str = "Hello") -> None:
            self.greeting = greeting

        def setup(self, app: App) -> None:
            app.provide("greeting", lambda: self.greeting)

        def commands(self) -> Sequence[Command]:
            return ()

    app = App("hello", extensions=[Greeter()])
    app.greeting                     # "Hello"
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from appkit.app.application import App

__all__ = ["Command", "Extension", "ExtensionSettings"]


@dataclass(frozen=True)
class Command:
    """A subcommand an extension adds to ``appkit`` (``appkit data backup PATH``).

    Args:
        name: the subcommand (``"data"``).
        help: one line for ``appkit --help``.
        description: the text of ``appkit NAME --help``.
        configure: adds the arguments to the subcommand's parser; every command takes the
            app's ``target`` (added by the CLI) and may add its own sub-actions.
        run: ``run(extension, args)`` returns the exit code; ``extension`` is the app's
            extension of the same ``name`` (the CLI loads the app first).
    """

    name: str
    help: str
    description: str
    configure: Callable[[argparse.ArgumentParser], None]
    run: Callable[[Any, argparse.Namespace], int]


@runtime_checkable
class Extension(Protocol):
    """What the core asks of an extension (see the module's docstring)."""

    @property
    def name(self) -> str:
        """The extension's key in ``app.extensions`` (one extension of a name per app)."""
        ...

    @property
    def exports(self) -> Collection[str]:
        """The attributes the extension answers to on the app (``("db", "table_for")``)."""
        ...

    def setup(self, app: App) -> None:
        """Register what the extension adds (providers, steps, routes, hooks); runs once,
        when the extension is added to ``app``."""
        ...

    def commands(self) -> Sequence[Command]:
        """The CLI subcommands this extension adds (none: an empty sequence)."""
        ...


@runtime_checkable
class ExtensionSettings(Protocol):
    """A subsystem's settings: a frozen dataclass that checks itself and makes the
    extension it configures (``Sessions(...)``, ``DataSettings(...)``, ``JobsSettings(...)``)."""

    def extension(self) -> Extension:
        """The extension configured by these settings."""
        ...
