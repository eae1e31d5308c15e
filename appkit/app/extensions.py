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
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, cast, runtime_checkable

from appkit.errors import ConfigurationError

if TYPE_CHECKING:
    from appkit.app.application import App

__all__ = ["Command", "ExtensibleApp", "Extension", "ExtensionSettings", "as_extension"]


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

    def setup(self, app: App) -> None:  # type: ignore[empty-body]
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


class ExtensibleApp:
    """How an ``App`` holds its extensions (a part of ``App``): ``add_extension``,
    ``extension(name)`` and the attributes they export."""

    name: str
    extensions: dict[str, Extension]
    default_extensions: ClassVar[tuple[Callable[[], Any], ...]]

    def _add_extensions(self, extensions: Iterable[Any]) -> None:
        """Add the class's default extensions, each replaced by a given one of the same
        name in its place (the pipeline's order stays), then the other given ones."""
        given: dict[str, Extension] = {}
        for ext in map(as_extension, extensions):
            if ext.name in given:
                raise ConfigurationError(
                    f"App {self.name!r} has a {ext.name!r} extension already: pass its settings "
                    "once, e.g. App(..., extensions=[...])")
            given[ext.name] = ext
        defaults = [as_extension(make()) for make in self.default_extensions]
        # A configured default keeps the default's place in the pipeline.
        ordered = [given.pop(d.name, d) for d in defaults]
        for ext in [*ordered, *given.values()]:
            self.add_extension(ext)

    def add_extension(self, extension: Extension | ExtensionSettings) -> None:
        """Add an extension (or the settings that make one) and run its ``setup``.

        Raises:
            ConfigurationError: the app has an extension of that name already, or an
                attribute it exports is taken.
        """
        ext = as_extension(extension)
        if ext.name in self.extensions:
            raise ConfigurationError(
                f"App {self.name!r} has a {ext.name!r} extension already: pass its settings "
                f"once, e.g. App(..., extensions=[...])")
        for attribute in ext.exports:
            if (hasattr(type(self), attribute) or attribute in self.__dict__
                    or self._exporter(attribute) is not None):
                raise ConfigurationError(
                    f"The {ext.name!r} extension exports {attribute!r}, which the app has "
                    "already")
        self.extensions[ext.name] = ext
        ext.setup(cast("App", self))

    def extension(self, name: str) -> Any:
        """The extension called ``name``.

        Raises:
            ConfigurationError: the app has none of that name.
        """
        try:
            return self.extensions[name]
        except KeyError:
            known = ", ".join(sorted(self.extensions)) or "none"
            raise ConfigurationError(
                f"App {self.name!r} has no {name!r} extension (it has: {known})") from None

    def _exporter(self, attribute: str) -> Extension | None:
        extensions = self.__dict__.get("extensions", {})
        found: dict[str, Extension] = self.__dict__.setdefault("_exporters", {})
        ext = found.get(attribute)  # looked up before: still the app's?
        if ext is not None and extensions.get(ext.name) is ext:
            return ext
        for ext in extensions.values():
            if attribute in ext.exports:
                found[attribute] = ext
                return ext
        return None

    def __getattr__(self, attribute: str) -> Any:
        # Only called for names the app does not have: those its extensions export.
        ext = self._exporter(attribute)
        if ext is None:
            raise AttributeError(
                f"{type(self).__name__!r} object has no attribute {attribute!r}")
        return getattr(ext, attribute)


def as_extension(item: Any) -> Extension:
    """``item`` if it is an extension, else the extension its settings make.

    Raises:
        ConfigurationError: ``item`` is neither.
    """
    if isinstance(item, type):
        raise ConfigurationError(
            f"extensions= takes settings or extensions, not the class {item.__name__}: "
            f"write {item.__name__}() (with its settings inside the parentheses)")
    if isinstance(item, Extension):
        return item
    make = getattr(item, "extension", None)
    if callable(make):
        return cast(Extension, make())
    raise ConfigurationError(
        f"{item!r} is neither an extension (name, exports, setup, commands) nor the "
        "settings of one (with an extension() method)")
