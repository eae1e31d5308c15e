"""Task functions in a module that imports only ``progress`` of appkit (see
``test_boot.py``)."""

from __future__ import annotations

import sys

from appkit.jobs import progress


def loaded() -> dict[str, bool]:
    """Which heavy packages the worker has imported."""
    return {name: name in sys.modules for name in ("appkit.app", "starlette")}


def uses_app() -> str:
    """Import the package's root from inside the task: it is all there."""
    from appkit import App, __version__

    return f"{App.__name__} {__version__}"


def reports() -> str:
    """Report progress."""
    progress(0.5, "half")
    return "reported"
