"""The app's per-user folders, from platformdirs: data, config, cache, logs, runtime.

Created on first use, private to the user (0700). Never the install directory, never the
current directory. On Linux they follow the XDG variables (``XDG_DATA_HOME``,
``XDG_CONFIG_HOME``, ``XDG_STATE_HOME``, ``XDG_CACHE_HOME``, ``XDG_RUNTIME_DIR``).
"""

from __future__ import annotations

import os
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs

__all__ = ["AppDirs", "folder_name", "write_private"]


def folder_name(app_id: str) -> str:
    """The name of an app's folders for ``app_id`` (what is not a letter, digit, dot,
    dash or underscore becomes a dash)."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", app_id).strip("-.")
    if not name:
        raise ValueError(f"An app id needs letters or digits: {app_id!r}")
    return name


@dataclass(frozen=True)
class AppDirs:
    """The folders of one app, named after its ``app_id``. Where they are is settled when
    the ``AppDirs`` is made (what the XDG variables said then): an app's folders never
    move while it runs, whatever its environment does later."""

    app_id: str
    _where: dict[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        name = folder_name(self.app_id)
        with warnings.catch_warnings():
            # Without XDG_RUNTIME_DIR platformdirs falls back to a private folder under
            # the temporary directory, which is what we want; its warning is noise here.
            warnings.simplefilter("ignore")
            runtime = platformdirs.user_runtime_dir(name, False)
        object.__setattr__(self, "_where", {
            "data": platformdirs.user_data_dir(name, False),
            "config": platformdirs.user_config_dir(name, False),
            "cache": platformdirs.user_cache_dir(name, False),
            "logs": platformdirs.user_log_dir(name, False),
            "runtime": runtime})

    def _ensure(self, kind: str) -> Path:
        folder = Path(self._where[kind])
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        return folder

    @property
    def data(self) -> Path:
        """Where the app keeps its data (databases)."""
        return self._ensure("data")

    @property
    def config(self) -> Path:
        """Settings and secrets (0600 files)."""
        return self._ensure("config")

    @property
    def cache(self) -> Path:
        """What can be thrown away and made again."""
        return self._ensure("cache")

    @property
    def logs(self) -> Path:
        """Rotating log files."""
        return self._ensure("logs")

    @property
    def runtime(self) -> Path:
        """The instance lock and the running instance's address; gone after a reboot."""
        return self._ensure("runtime")


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically, readable by the user only (0600)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
