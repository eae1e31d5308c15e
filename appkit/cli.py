"""The ``appkit`` command. Only this module turns errors into exit codes.

    appkit run PATH [--headless | --browser | --backend NAME]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from appkit.errors import AppkitError
from appkit.loader import load_app

__all__ = ["main"]

EXIT_USAGE = 2
BACKENDS = ("auto", "gtk", "qt", "webview", "browser", "headless")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``appkit`` command line; returns the exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        return int(args.func(args))
    except AppkitError as exc:
        print(f"appkit: {exc}", file=sys.stderr)
        return EXIT_USAGE


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="appkit", description="Run and package appkit apps.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    run = sub.add_parser(
        "run", help="run an app in a window",
        description="Run an app in a native window (or the system browser, or headless "
                    "where there is no display) on a guarded server on 127.0.0.1. It prints "
                    "'ready: <url>' once the app answers; the URL carries the launch token.")
    run.add_argument("target", metavar="PATH",
                     help="the app's .py file, a folder with app.py, or module:attribute")
    mode = run.add_mutually_exclusive_group()
    mode.add_argument("--headless", action="store_true",
                      help="only serve: open no window or browser")
    mode.add_argument("--browser", action="store_true",
                      help="open the app in the system browser instead of a window")
    mode.add_argument("--backend", choices=BACKENDS, default=None,
                      help="the window backend (default: auto, which says what it chose)")
    run.set_defaults(func=_run)
    return parser


def _run(args: argparse.Namespace) -> int:
    import shell

    backend = "headless" if args.headless else "browser" if args.browser else (
        args.backend or "auto")
    app = load_app(args.target)
    title = getattr(app, "title", None) or getattr(app, "name", None) or _name_of(args.target)
    app_id = getattr(app, "name", None) or title
    try:
        return shell.run(
            app, title=title, app_id=app_id, backend=backend,
            argv=[args.target], console_log=True,
            on_closing=getattr(app, "_on_closing", None),
            on_activate=getattr(app, "_on_activate", None),
        )
    except shell.ShellError as exc:
        print(f"appkit: {exc}", file=sys.stderr)
        return EXIT_USAGE if exc.usage else 1


def _name_of(target: str) -> str:
    from pathlib import Path

    stem = Path(target.partition(":")[0]).stem
    return stem if stem and stem != "app" else Path(target).resolve().name or "app"


if __name__ == "__main__":
    sys.exit(main())
