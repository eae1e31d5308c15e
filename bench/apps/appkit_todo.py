"""appkit's side of ``bench/requests.py``: ``examples/todo/app.py`` unchanged, except that its
items are kept in memory (``TodoStore``), as the peers keep theirs. The example itself keeps
them in SQLite (``app.db``); ``bench/data.py`` measures that layer on its own."""

from __future__ import annotations

from bench.apps.common import load_example_module

_example = load_example_module()
app = _example.create_app(todos=_example.TodoStore())
