"""The server process of ``appkit run``'s reload loop (``python -m appkit.devchild PATH``).

The window process (``shell.devloop``) starts it, hands it the listening socket and the
launch token, and starts it again after every change to the source.
"""

from __future__ import annotations

import os
import sys

from appkit.errors import AppLoadError
from appkit.loader import load_app

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    """Load the app named by the first argument and serve it for the parent."""
    from shell.child import RESTART_ENV, serve_child
    from shell.logs import setup_logging
    from shell.paths import AppDirs

    args = sys.argv[1:] if argv is None else argv
    target = args[0]
    try:
        # After a change to the source, a fix is saved, not run again: the loop restarts it.
        app = load_app(target, reloading=os.environ.get(RESTART_ENV) == "1")
    except AppLoadError as exc:
        print(f"appkit: {exc}", file=sys.stderr)
        return 2
    title = str(getattr(app, "title", None) or getattr(app, "name", None) or target)
    app_id = str(getattr(app, "name", None) or title)
    if hasattr(app, "dev_reload"):
        app.dev_reload = True
    setup_logging(AppDirs(app_id).logs / "app.log", console=True)
    from appkit.app.icons import DEFAULT_ICON

    icon = getattr(app, "icon", None) or DEFAULT_ICON
    return serve_child(app, title=title, app_id=app_id, icon=str(icon),
                       on_closing=getattr(app, "_on_closing", None),
                       on_activate=getattr(app, "_on_activate", None),
                       on_native=getattr(app, "attach_native", None),
                       menu=app.menu_data() if hasattr(app, "menu_data") else None)


if __name__ == "__main__":
    sys.exit(main())
