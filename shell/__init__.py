"""The desktop host: runs any ASGI app on loopback inside a native window.

It imports nothing from ``appkit``. The window, the loopback guard and single-instance
handling arrive with the shell issue; for now this package only holds the loopback
server helper that ``appkit run --headless`` uses.
"""

from __future__ import annotations

from shell.server import LoopbackServer, bind_loopback

__all__ = ["LoopbackServer", "bind_loopback"]
