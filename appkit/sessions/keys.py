"""The secret key that signs session cookies: made on the first run, kept in the user's
config folder (0600), never in the current directory."""

from __future__ import annotations

import logging
import os
import secrets
import stat
from pathlib import Path

from appkit.sessions.errors import SessionError

__all__ = ["KEY_FILE", "load_or_create_key"]

logger = logging.getLogger("appkit.sessions")

#: The key file's name in the app's config folder.
KEY_FILE = "secret.key"
_KEY_BYTES = 32


def load_or_create_key(path: Path) -> bytes:
    """The key in ``path``; a new random one is written there first when there is none.

    The file holds the key as hex, is written atomically and readable by the user only.

    Raises:
        SessionError: the file exists but does not hold a key.
    """
    from shell.paths import write_private  # shell is imported on use: keeps `import appkit` light

    try:
        text = path.read_text(encoding="ascii")
    except FileNotFoundError:
        write_private(path, secrets.token_hex(_KEY_BYTES) + "\n")
        logger.info("Made a new session key in %s", path)
        # Another process may have written its own key at the same time: use the one on
        # disk, so that every process signs with the same key.
        text = path.read_text(encoding="ascii")
    except UnicodeDecodeError:
        text = ""
    try:
        key = bytes.fromhex(text.strip())
    except ValueError:
        key = b""
    if len(key) < _KEY_BYTES:
        raise SessionError(
            f"The session key file {path} does not hold a key. Delete the file and restart "
            "the app: a new key is made (everyone's session starts afresh)")
    if os.name == "posix" and stat.S_IMODE(path.stat().st_mode) & 0o077:
        logger.warning("The session key file %s can be read by other users: run "
                       "chmod 600 %s", path, path)
    return key
