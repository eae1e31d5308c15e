"""The ``appkit`` command. Only this module turns errors into exit codes.

    appkit run PATH [ARG...] [--headless | --browser | --backend NAME] [--no-reload]
    appkit build PATH [-o DIR] [--name NAME] [--icon FILE] [--onedir] [--backend gtk|qt]
    appkit data {path,backup,restore,migrate,info} PATH [FILE]
    appkit jobs {list,show,cancel,enqueue} PATH [ID | TASK --inputs JSON]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from appkit.app.extensions import Command, Extension
from appkit.errors import AppkitError
from appkit.loader import load_app

__all__ = ["main"]

EXIT_USAGE = 2
BACKENDS = ("auto", "gtk", "qt", "webview", "browser", "headless")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``appkit`` command line; returns the exit code."""
    parser, run_parser = _parser()
    words = list(sys.argv[1:] if argv is None else argv)
    if words[:1] == ["run"]:
        # Intermixed, so the app's arguments may come before or after the options.
        args = run_parser.parse_intermixed_args(words[1:])
        args.command = "run"
    else:
        args = parser.parse_args(words)
    if not getattr(args, "command", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        return int(args.func(args))
    except AppkitError as exc:
        print(f"appkit: {exc}", file=sys.stderr)
        return EXIT_USAGE


def _parser() -> tuple[argparse.ArgumentParser, argparse.ArgumentParser]:
    parser = argparse.ArgumentParser(
        prog="appkit", description="Run and package appkit apps.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    run = sub.add_parser(
        "run", help="run an app in a window", prog="appkit run",
        description="Run an app in a native window (or the system browser, or headless "
                    "where there is no display) on a guarded server on 127.0.0.1. It prints "
                    "'ready: <url>' once the app answers; the URL carries the launch token.")
    run.add_argument("target", metavar="PATH",
                     help="the app's .py file, a folder with app.py, or module:attribute")
    run.add_argument("app_args", metavar="ARG", nargs="*",
                     help="arguments for the app (a second launch hands them to the first)")
    mode = run.add_mutually_exclusive_group()
    mode.add_argument("--headless", action="store_true",
                      help="only serve: open no window or browser")
    mode.add_argument("--browser", action="store_true",
                      help="open the app in the system browser instead of a window")
    mode.add_argument("--backend", choices=BACKENDS, default=None,
                      help="the window backend (default: auto, which says what it chose)")
    run.add_argument("--no-reload", dest="reload", action="store_false",
                     help="do not restart the server when the source changes")
    run.set_defaults(func=_run)

    build = sub.add_parser(
        "build", help="package an app as one executable", prog="appkit build",
        description="Build the app into ONE executable in dist/ (with PyInstaller) that "
                    "unpacks itself once into the user's cache, starts as fast as a "
                    "folder build afterwards, and passes its own --self-test before it is "
                    "written to the output folder.")
    build.add_argument("target", metavar="PATH",
                       help="the app's .py file, a folder with app.py, or module:attribute")
    build.add_argument("-o", "--out", dest="out_dir", default="dist", metavar="DIR",
                       help="where the executable goes (default: dist)")
    build.add_argument("--name", help="the executable's name (default: the app's name)")
    build.add_argument("--icon", metavar="FILE", help="the app's icon (.png, .ico or .icns)")
    build.add_argument("--onedir", action="store_true",
                       help="a folder with the executable and its files instead of one file")
    build.add_argument("--backend", choices=("gtk", "qt"), default=None,
                       help="the Linux webview to bundle (default: gtk)")
    build.add_argument("--no-check", dest="check", action="store_false",
                       help="skip running the result's --self-test")
    build.set_defaults(func=_build)

    for command in _extension_commands():
        extra = sub.add_parser(command.name, help=command.help, prog=f"appkit {command.name}",
                               description=command.description)
        command.configure(extra)
        extra.set_defaults(func=_extension_command(command))
    return parser, run


def _run(args: argparse.Namespace) -> int:
    import shell

    backend = "headless" if args.headless else "browser" if args.browser else (
        args.backend or "auto")
    if args.reload:
        return _run_reloading(args, backend)
    app = load_app(args.target)
    title = getattr(app, "title", None) or getattr(app, "name", None) or _name_of(args.target)
    app_id = getattr(app, "name", None) or title
    try:
        return shell.run(
            app, title=title, app_id=app_id, backend=backend,
            argv=[args.target, *args.app_args], console_log=True,
            icon=getattr(app, "icon", None),
            on_closing=getattr(app, "_on_closing", None),
            on_activate=getattr(app, "_on_activate", None),
            on_native=getattr(app, "attach_native", None),
        )
    except shell.ShellError as exc:
        print(f"appkit: {exc}", file=sys.stderr)
        return EXIT_USAGE if exc.usage else 1


def _run_reloading(args: argparse.Namespace, backend: str) -> int:
    from pathlib import Path

    import shell
    from shell.devloop import run_reloading

    path = Path(args.target.partition(":")[0] if ":" in args.target and not Path(
        args.target).exists() else args.target)
    if path.exists():
        watch = [path if path.is_dir() else path.resolve().parent]
    elif ":" in args.target or "/" not in args.target:
        watch = [Path.cwd()]  # a module reference: its source is below the current folder
    else:
        load_app(args.target)  # raises the loader's message about the missing path
        watch = [Path.cwd()]
    command = [sys.executable, "-m", "appkit.devchild", args.target]
    try:
        return run_reloading(command, watch=watch, backend=backend,
                             argv=[args.target, *args.app_args])
    except shell.ShellError as exc:
        print(f"appkit: {exc}", file=sys.stderr)
        return EXIT_USAGE if exc.usage else 1


def _build(args: argparse.Namespace) -> int:
    from pathlib import Path

    from appkit.build import BuildError, BuildOptions, build

    try:
        build(BuildOptions(
            target=args.target, out_dir=Path(args.out_dir), name=args.name,
            icon=Path(args.icon) if args.icon else None, onedir=args.onedir,
            backend=args.backend, check=args.check))
    except BuildError as exc:
        print(f"appkit: {exc}", file=sys.stderr)
        return EXIT_USAGE if exc.usage else 1
    return 0


def _extension_commands() -> list[Command]:
    """The subcommands of the extensions every ``appkit.App`` has (``data``, ``jobs``)."""
    from appkit import App

    commands: list[Command] = []
    for make in App.default_extensions:
        item = make()
        extension = item if isinstance(item, Extension) else item.extension()
        commands.extend(extension.commands())
    return commands


def _extension_command(command: Command) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        app = load_app(args.target)
        extensions = getattr(app, "extensions", None)
        owner = next((ext for ext in (extensions or {}).values()
                      if any(c.name == command.name for c in ext.commands())), None)
        if owner is None:
            print(f"appkit: {args.target} is not an appkit App with the {command.name!r} "
                  f"extension, so it has no app.{command.name if command.name != 'data' else 'db'}"
                  f" for `appkit {command.name}` to work on.", file=sys.stderr)
            return EXIT_USAGE
        return command.run(owner, args)

    return run


def _name_of(target: str) -> str:
    from pathlib import Path

    stem = Path(target.partition(":")[0]).stem
    return stem if stem and stem != "app" else Path(target).resolve().name or "app"


if __name__ == "__main__":
    sys.exit(main())
