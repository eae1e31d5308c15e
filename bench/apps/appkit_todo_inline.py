"""``bench/apps/appkit_todo.py`` with its plain ``def`` handlers marked ``@nonblocking``:
they only touch memory, so they run on the event loop instead of a worker thread (issue 16:
"letting an author mark a non-blocking sync handler to run inline"). Without the toast on
delete, as ``appkit_todo_async.py``: the same work as that app, ``def`` for ``async def``."""

from __future__ import annotations

from bench.apps.appkit_todo import create_app

app = create_app(inline=True, toasts=False)
