"""Logging for a hosted app: always a rotating file in the user's log folder, and the
terminal when there is one. Launch tokens are removed from every record."""

from __future__ import annotations

import logging
import logging.handlers
import sys
from pathlib import Path

from shell.guard import RedactTokens

__all__ = ["setup_logging", "teardown_logging"]

_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_MARK = "_shell_handler"


def setup_logging(log_file: Path, *, console: bool | None = None,
                  level: int = logging.INFO) -> Path:
    """Send log records to ``log_file`` (rotated at 1 MB, 5 kept) and, when ``console``
    (default: stderr is a terminal), to stderr. Calling it again replaces its handlers.
    Returns the log file's path."""
    teardown_logging()
    root = logging.getLogger()
    redact = RedactTokens()
    file_handler = logging.handlers.RotatingFileHandler(
        log_file, maxBytes=1_000_000, backupCount=5, encoding="utf-8")
    handlers: list[logging.Handler] = [file_handler]
    if console if console is not None else sys.stderr.isatty():
        handlers.append(logging.StreamHandler(sys.stderr))
    for handler in handlers:
        handler.setFormatter(logging.Formatter(_FORMAT))
        handler.addFilter(redact)
        setattr(handler, _MARK, True)
        root.addHandler(handler)
    if root.level > level or root.level == logging.NOTSET:
        root.setLevel(level)
    # uvicorn's own loggers do not propagate by default when it configures them; we pass
    # log_config=None, so they propagate to the root handlers above.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).addFilter(redact)
    return log_file


def teardown_logging() -> None:
    """Remove and close the handlers ``setup_logging`` added."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, _MARK, False):
            root.removeHandler(handler)
            handler.close()
