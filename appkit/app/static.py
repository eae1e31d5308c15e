"""Static files with content-hashed URLs.

``folder.url("app.css")`` gives ``/static/app.css?v=<hash of the content>``. A request that
carries the current hash is answered with a year-long immutable cache header; any other
request for the file (an old hash, no hash) is answered with ``no-cache``, so a browser never
keeps a stale copy after the file changes.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from starlette.staticfiles import StaticFiles
from starlette.types import Message, Receive, Scope, Send

__all__ = ["StaticFolder", "StaticURL"]

_IMMUTABLE = b"public, max-age=31536000, immutable"
_REVALIDATE = b"no-cache"


class StaticURL:
    """A file's hashed URL, worked out each time it is rendered, so a page made after the
    file changed points at the new content. ``str()`` gives the URL as it is now."""

    __slots__ = ("folder", "path", "app")

    def __init__(self, folder: StaticFolder, path: str, app: Any = None) -> None:
        self.folder = folder
        self.path = path
        self.app = app  # its root_path (where it is mounted) starts the URL

    def __url__(self) -> str:
        return getattr(self.app, "root_path", "") + self.folder.url(self.path)

    def __str__(self) -> str:
        return self.__url__()

    def __repr__(self) -> str:
        return f"StaticURL({self.path!r})"


class StaticFolder:
    """Serve ``directory`` below ``prefix`` and make cache-busting URLs for its files."""

    def __init__(self, directory: str | os.PathLike[str], prefix: str, *,
                 fixed: bool = False) -> None:
        """``fixed``: the files never change while the process runs (appkit's own, shipped
        with the package): each file's hash is worked out once, with no ``stat`` per URL."""
        self.directory = Path(directory)
        self.fixed = fixed
        self._urls: dict[str, str] = {}
        self._root = self.directory.resolve()
        self.prefix = prefix.rstrip("/")
        self._files = StaticFiles(directory=self.directory, check_dir=False)
        # path -> (resolved file, mtime_ns, size, digest)
        self._hashes: dict[str, tuple[str, int, int, str]] = {}

    def url(self, path: str) -> str:
        """The URL of ``path`` (relative to the folder), with its content hash.

        Raises:
            FileNotFoundError: there is no such file in the folder.
        """
        if self.fixed:
            url = self._urls.get(path)
            if url is None:
                url = self._urls[path] = f"{self.prefix}/{path.lstrip('/')}?v={self.hash(path)}"
            return url
        return f"{self.prefix}/{path.lstrip('/')}?v={self.hash(path)}"

    def hash(self, path: str) -> str:
        """The first 12 hex digits of the SHA-256 of the file's content, cached until the
        file's size or modification time changes (one ``stat`` a call)."""
        cached = self._hashes.get(path)
        if cached is None:
            full = (self._root / path.lstrip("/")).resolve()
            if not full.is_relative_to(self._root):
                raise FileNotFoundError(
                    f"{path!r} is outside the static folder {self.directory}")
            filename = str(full)
        else:
            filename = cached[0]
            if self.fixed:
                return cached[3]
        stat = os.stat(filename)
        if cached and cached[1] == stat.st_mtime_ns and cached[2] == stat.st_size:
            return cached[3]
        with open(filename, "rb") as handle:
            digest = hashlib.sha256(handle.read()).hexdigest()[:12]
        self._hashes[path] = (filename, stat.st_mtime_ns, stat.st_size, digest)
        return digest

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        requested = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("v", [""])[0]
        cache = _REVALIDATE
        if requested:
            try:
                if self.hash(_relative_path(scope)) == requested:
                    cache = _IMMUTABLE
            except (OSError, ValueError):  # no such file; ValueError: a NUL in the path
                pass

        async def send_with_cache(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] < 400:
                headers = [(k, v) for k, v in message.get("headers", [])
                           if k.lower() != b"cache-control"]
                headers.append((b"cache-control", cache))
                message = {**message, "headers": headers}
            await send(message)

        await self._files(scope, receive, send_with_cache)


def _relative_path(scope: Scope) -> str:
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root):] if root and path.startswith(root) else path
