"""The ``appkit`` command. Only this module turns errors into exit codes.

    appkit run PATH [--headless] [--port N]
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
import webbrowser
from collections.abc import Sequence
from types import FrameType

from appkit.errors import AppkitError
from appkit.loader import load_app

__all__ = ["main"]

EXIT_USAGE = 2


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
        "run", help="run an app",
        description="Serve an app on 127.0.0.1 and print 'ready: <url>' once it answers. "
                    "By default the system browser opens the app where there is a display.")
    run.add_argument("target", metavar="PATH",
                     help="the app's .py file, a folder with app.py, or module:attribute")
    run.add_argument("--headless", action="store_true",
                     help="only serve: open no window or browser")
    run.add_argument("--port", type=int, default=0,
                     help="the port on 127.0.0.1 (default: a free one chosen by the OS)")
    run.add_argument("--access-log", action="store_true", help="log every request")
    run.set_defaults(func=_run)
    return parser


def _run(args: argparse.Namespace) -> int:
    from shell.server import LoopbackServer, ServerError

    if not 0 <= args.port <= 65535:
        print(f"appkit: --port must be between 0 and 65535, not {args.port}", file=sys.stderr)
        return EXIT_USAGE
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    app = load_app(args.target)
    server = LoopbackServer(app, port=args.port, log_level="info",
                            access_log=args.access_log)
    # Handlers go in before the ready line: whoever reads it may signal at once.
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        url = server.start()
    except (ServerError, OSError) as exc:
        print(f"appkit: the app could not start: {exc}", file=sys.stderr)
        return 1
    print(f"ready: {url}", flush=True)
    if not args.headless:
        if _has_display() and webbrowser.open(url):
            print("Opened the app in the system browser. Press Ctrl+C to stop.", flush=True)
        else:
            print("No display to open the app on: serving only. Press Ctrl+C to stop.",
                  flush=True)

    while not stop.wait(0.2):
        if not server.running:
            print("appkit: the server stopped unexpectedly (see the log above)",
                  file=sys.stderr)
            return 1
    stopped = server.stop()
    return 0 if stopped else 1


def _has_display() -> bool:
    if sys.platform in ("win32", "darwin"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


if __name__ == "__main__":
    sys.exit(main())
