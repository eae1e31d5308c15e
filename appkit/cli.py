"""The ``appkit`` command. Only this module turns errors into exit codes.

    appkit run PATH [ARG...] [--headless | --browser | --backend NAME] [--no-reload]
    appkit build PATH [-o DIR] [--name NAME] [--icon FILE] [--onedir] [--backend gtk|qt]
    appkit data {path,backup,restore,migrate,info} PATH [FILE]
    appkit jobs {list,show,cancel,enqueue} PATH [ID | TASK --inputs JSON]
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

    data = sub.add_parser(
        "data", help="the app's database: path, backup, restore, migrate, info",
        prog="appkit data",
        description="Work on an app's per-user database (the one app.db opens). Stop the "
                    "app first for restore and migrate.")
    actions = data.add_subparsers(dest="action", metavar="ACTION", required=True)
    for name, text in (("path", "print the database file's path"),
                       ("backup", "copy the database to a new file in its backups folder"),
                       ("migrate", "run the pending migrations (after a backup)"),
                       ("info", "the schema version, the tables and their rows, backups")):
        action = actions.add_parser(name, help=text, description=text[0].upper() + text[1:])
        action.add_argument("target", metavar="PATH", help="the app (as for appkit run)")
        action.set_defaults(func=_data)
    restore = actions.add_parser(
        "restore", help="replace the database with a backup (the current one is kept)",
        description="Replace the database with FILE (checked first: an SQLite database, "
                    "intact, not newer than the app); the current one is backed up first.")
    restore.add_argument("target", metavar="PATH", help="the app (as for appkit run)")
    restore.add_argument("file", metavar="FILE", help="the backup to restore")
    restore.set_defaults(func=_data)

    jobs = sub.add_parser(
        "jobs", help="the app's job runs: list, show, cancel, enqueue", prog="appkit jobs",
        description="Work on an app's job runs (the scheduler's database in the app's data "
                    "folder). A running copy of the app starts queued runs at once; "
                    "otherwise they wait for the app's next start.")
    job_actions = jobs.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = job_actions.add_parser("list", help="the newest runs, filtered",
                                     description="The newest runs, newest first.")
    listing.add_argument("target", metavar="PATH", help="the app (as for appkit run)")
    listing.add_argument("--task", help="only runs of this task")
    listing.add_argument("--status", help="only runs in this status (queued, running, "
                         "completed, failed, timeout, cancelled)")
    listing.add_argument("--limit", type=int, default=20, help="at most this many (20)")
    for name, text in (("show", "one run: status, times, inputs, output, error, log"),
                       ("cancel", "cancel a queued or running run")):
        action = job_actions.add_parser(name, help=text, description=text[0].upper() +
                                        text[1:])
        action.add_argument("target", metavar="PATH", help="the app (as for appkit run)")
        action.add_argument("run_id", metavar="ID", type=int, help="the run's id")
    enqueue = job_actions.add_parser("enqueue", help="queue a run of a task",
                                     description="Queue a run of TASK with --inputs (a "
                                     "JSON object of the function's keyword arguments).")
    enqueue.add_argument("target", metavar="PATH", help="the app (as for appkit run)")
    enqueue.add_argument("task", metavar="TASK", help="the task's name")
    enqueue.add_argument("--inputs", default="{}", metavar="JSON",
                         help='the keyword arguments, e.g. \'{"month": "2024-05"}\'')
    jobs.set_defaults(func=_jobs)
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


def _data(args: argparse.Namespace) -> int:
    from appkit.data import admin
    from appkit.errors import MigrationFailed

    app = load_app(args.target)
    store = getattr(app, "store", None)
    if store is None:
        print(f"appkit: {args.target} is not an appkit App, so it has no app.db.",
              file=sys.stderr)
        return EXIT_USAGE
    try:
        if args.action == "path":
            print(admin.path(store))
        elif args.action == "backup":
            print(f"backed up to {admin.backup(store)}")
        elif args.action == "migrate":
            applied = admin.migrate(store)
            print(f"applied migrations {', '.join(map(str, applied))}" if applied
                  else "the database is up to date")
        elif args.action == "restore":
            kept = admin.restore(store, args.file)
            print(f"restored {args.file}" + (f"; the database as it was is in {kept}"
                                              if kept else ""))
        else:
            print(admin.info(store))
    except MigrationFailed as exc:
        print(f"appkit: {exc}", file=sys.stderr)
        return 1
    finally:
        store.close()
    return 0


def _jobs(args: argparse.Namespace) -> int:
    import json

    from appkit.jobs.cli import describe, table

    app = load_app(args.target)
    jobs = getattr(app, "jobs", None)
    if jobs is None or not hasattr(jobs, "enqueue"):
        print(f"appkit: {args.target} is not an appkit App, so it has no app.jobs.",
              file=sys.stderr)
        return EXIT_USAGE
    if args.action == "list":
        print(table(jobs.runs(task=args.task, status=args.status, limit=args.limit)))
    elif args.action == "show":
        print(describe(jobs.get(args.run_id)))
    elif args.action == "cancel":
        done = jobs.cancel(args.run_id)
        print(f"cancelled run {args.run_id}" if done else
              f"run {args.run_id} had already finished; nothing to cancel")
    else:
        try:
            inputs = json.loads(args.inputs)
        except ValueError as exc:
            print(f"appkit: --inputs is not JSON ({exc}). Give an object, e.g. "
                  '--inputs \'{"month": "2024-05"}\'', file=sys.stderr)
            return EXIT_USAGE
        if not isinstance(inputs, dict):
            print("appkit: --inputs must be a JSON object of keyword arguments, e.g. "
                  '\'{"month": "2024-05"}\'', file=sys.stderr)
            return EXIT_USAGE
        run_id = jobs.enqueue(args.task, inputs)
        print(f"queued run {run_id} of {args.task}")
    return 0


def _name_of(target: str) -> str:
    from pathlib import Path

    stem = Path(target.partition(":")[0]).stem
    return stem if stem and stem != "app" else Path(target).resolve().name or "app"


if __name__ == "__main__":
    sys.exit(main())
