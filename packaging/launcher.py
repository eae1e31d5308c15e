"""The one-file launcher: unpack the app once into the user's cache, then start it.

A PyInstaller one-file program unpacks everything it holds into a new temporary folder on
every start (seconds for a webview app) and deletes it at exit. `appkit build` instead
writes ONE file laid out as

    [bootloader of this launcher][payload: the app's one-folder build, zipped]
    [trailer: JSON + its length + payload offset and size + magic][this launcher's archive]

The bootloader finds its own archive from the cookie at the end of the file, so the bytes
in between are invisible to it. This program (small: only the standard library) reads the
trailer, unpacks the payload once into ``<user cache>/<app>/bin/<key>`` (the key is the
payload's SHA-256, so a new build gets a new folder), and replaces itself with the app's
executable there. Later starts find the folder complete and go straight to it.

- atomic: unpacked into a temporary sibling, marked complete, then renamed into place;
- verified: zip CRCs while unpacking; on each start the marker and every file's size;
- concurrent: an exclusive lock around unpacking; a shared "in use" lock per version that
  the running app holds; a version is pruned only when its in-use lock can be taken;
- no leftovers: the bootloader's own small temporary folder is removed by the bootloader at
  exit; one left by a killed launcher is removed on the next start. The app's own
  temporary files (e.g. the GTK image loaders' cache PyInstaller writes at every start) go
  to ``<user cache>/<app>/tmp``, emptied when a launch finds no copy of the app running.

It runs before anything of appkit is importable, so it imports the standard library only.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import struct
import sys
import time

# zipfile, tempfile and subprocess are imported where they are used (unpacking; Windows):
# a start that finds its folder unpacked does not pay for them.

TRAILER_MAGIC = b"APPKIT1\n"
TRAILER_TAIL = struct.Struct("<QQQ8s")  # json length, payload offset, payload size, magic
PYI_COOKIE = struct.Struct("!8sIIii64s")
PYI_MAGIC = b"MEI\014\013\012\013\016"
MARKER = ".appkit-complete"
OWNER = "appkit-launcher.pid"

if os.name == "nt":  # pragma: no cover - exercised by the Windows release build
    import msvcrt

    def _lock(handle, exclusive: bool, wait: bool) -> bool:
        # Windows has no shared locks; only the unpacking lock (exclusive) uses this.
        # Whether a version is in use is told by trying to rename its folder (see prune).
        handle.seek(0)
        deadline = time.monotonic() + (600 if wait else 0)
        while True:
            try:
                msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
                return True
            except OSError:
                if time.monotonic() >= deadline:
                    return False
                time.sleep(0.05)
else:
    import fcntl

    def _lock(handle, exclusive: bool, wait: bool) -> bool:
        mode = fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH
        try:
            fcntl.flock(handle.fileno(), mode | (0 if wait else fcntl.LOCK_NB))
            return True
        except OSError:
            return False


class LaunchError(Exception):
    """The app could not be unpacked or started; the message says what to do."""


def read_trailer(exe: str) -> tuple[dict, int, int]:
    """The build's description and where its payload lies in ``exe``."""
    with open(exe, "rb") as handle:
        handle.seek(0, os.SEEK_END)
        size = handle.tell()
        tail_len = min(size, 1 << 20)  # a code signature may follow the archive
        handle.seek(size - tail_len)
        tail = handle.read(tail_len)
        at = tail.rfind(PYI_MAGIC)
        if at < 0:
            raise LaunchError(f"{exe} is not a complete appkit build (no archive).")
        pkg_len = PYI_COOKIE.unpack_from(tail, at)[1]
        archive_start = size - tail_len + at + PYI_COOKIE.size - pkg_len
        handle.seek(archive_start - TRAILER_TAIL.size)
        json_len, offset, length, magic = TRAILER_TAIL.unpack(handle.read(TRAILER_TAIL.size))
        if magic != TRAILER_MAGIC:
            raise LaunchError(f"{exe} is not a complete appkit build (no payload).")
        handle.seek(archive_start - TRAILER_TAIL.size - json_len)
        info = json.loads(handle.read(json_len).decode("utf-8"))
    return info, offset, length


class _Slice:
    """A read-only file object over part of a file (the payload inside the executable)."""

    def __init__(self, path: str, offset: int, length: int) -> None:
        self._file = open(path, "rb")  # noqa: SIM115 - closed by close()
        self._start, self._length, self._pos = offset, length, 0

    def seekable(self) -> bool:
        return True

    def readable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, pos: int, whence: int = 0) -> int:
        base = {0: 0, 1: self._pos, 2: self._length}[whence]
        self._pos = max(0, min(self._length, base + pos))
        return self._pos

    def read(self, n: int = -1) -> bytes:
        left = self._length - self._pos
        n = left if n is None or n < 0 else min(n, left)
        self._file.seek(self._start + self._pos)
        data = self._file.read(n)
        self._pos += len(data)
        return data

    def close(self) -> None:
        self._file.close()


def cache_root(app_folder: str) -> str:
    """``<user cache>/<app>/bin``, the folder the shell's AppDirs.cache also uses."""
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or os.path.expanduser(r"~\AppData\Local")
        return os.path.join(base, app_folder, "Cache", "bin")
    if sys.platform == "darwin":
        return os.path.join(os.path.expanduser("~/Library/Caches"), app_folder, "bin")
    base = os.environ.get("XDG_CACHE_HOME", "").strip()
    if not base or not os.path.isabs(base):
        base = os.path.expanduser("~/.cache")
    return os.path.join(base, app_folder, "bin")


def is_complete(folder: str) -> bool:
    """The folder was fully unpacked and no file has been truncated or removed since."""
    try:
        with open(os.path.join(folder, MARKER), encoding="utf-8") as handle:
            sizes = json.load(handle)
        return all(os.path.getsize(os.path.join(folder, name)) == size
                   for name, size in sizes.items())
    except (OSError, ValueError):
        return False


def unpack(exe: str, offset: int, length: int, target: str) -> None:
    """Unpack the payload into ``target`` (atomically: a temporary sibling, renamed)."""
    import lzma
    import tempfile
    import zipfile
    import zlib

    parent = os.path.dirname(target)
    tmp = tempfile.mkdtemp(prefix=os.path.basename(target) + ".unpacking-", dir=parent)
    try:
        sizes: dict[str, int] = {}
        source = _Slice(exe, offset, length)
        try:
            with zipfile.ZipFile(source) as archive:  # type: ignore[arg-type]
                for item in archive.infolist():
                    path = os.path.join(tmp, *item.filename.split("/"))
                    mode = (item.external_attr >> 16) & 0o7777
                    if item.is_dir():
                        os.makedirs(path, exist_ok=True)
                        continue
                    os.makedirs(os.path.dirname(path), exist_ok=True)
                    if (item.external_attr >> 16) & 0o170000 == 0o120000:  # a symlink
                        os.symlink(archive.read(item).decode("utf-8"), path)
                        continue
                    with archive.open(item) as src, open(path, "wb") as dst:
                        shutil.copyfileobj(src, dst, 1 << 20)  # checks the CRC at the end
                    if mode and os.name != "nt":
                        os.chmod(path, mode)
                    sizes[item.filename] = item.file_size
        except (zipfile.BadZipFile, lzma.LZMAError, zlib.error, EOFError) as exc:
            raise OSError(f"the payload is damaged ({exc})") from None
        finally:
            source.close()
        with open(os.path.join(tmp, MARKER), "w", encoding="utf-8") as handle:
            json.dump(sizes, handle)
        if os.path.lexists(target):
            shutil.rmtree(target, ignore_errors=True)
        os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def prune(root: str, keep: str) -> None:
    """Remove the other versions that no running copy uses, and abandoned unpackings."""
    for name in os.listdir(root):
        path = os.path.join(root, name)
        if name == keep or name.startswith(keep + ".") or not os.path.isdir(path):
            continue
        try:
            if os.name == "nt":  # pragma: no cover
                # A folder whose program or libraries are running cannot be renamed.
                doomed = path + ".deleting"
                os.rename(path, doomed)
                shutil.rmtree(doomed, ignore_errors=True)
                continue
            version = name.split(".", 1)[0]
            in_use = os.path.join(root, version + ".inuse")
            with open(in_use, "a+b") as handle:
                if not _lock(handle, exclusive=True, wait=False):
                    continue  # a copy of that version is running
                # The empty lock file stays: removing it could let two copies of that
                # version lock different files.
                shutil.rmtree(path, ignore_errors=True)
        except OSError:
            continue


def clean_stale_bootloader_folders() -> None:
    """Remove the temporary folders of launchers that were killed (their bootloader
    could not delete them); each holds the pid of the bootloader that made it."""
    own = getattr(sys, "_MEIPASS", None)
    if not own:
        return
    try:
        with open(os.path.join(own, OWNER), "w", encoding="ascii") as handle:
            handle.write(str(os.getppid() if os.name != "nt" else os.getpid()))
    except OSError:
        return
    base = os.path.dirname(own)
    try:
        names = [n for n in os.listdir(base) if n.startswith("_MEI")]
    except OSError:
        return
    for name in names:
        folder = os.path.join(base, name)
        if folder == own:
            continue
        try:
            with open(os.path.join(folder, OWNER), encoding="ascii") as handle:
                pid = int(handle.read().strip() or 0)
        except (OSError, ValueError):
            continue  # not one of ours, or still being written
        if pid and not _alive(pid):
            shutil.rmtree(folder, ignore_errors=True)


def _alive(pid: int) -> bool:
    if os.name == "nt":  # pragma: no cover
        import ctypes

        handle = ctypes.windll.kernel32.OpenProcess(0x1000, False, pid)
        if not handle:
            return False
        ctypes.windll.kernel32.CloseHandle(handle)
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def child_environment() -> dict[str, str]:
    """This process's environment without what the bootloader added for itself."""
    env = dict(os.environ)
    for name in ("LD_LIBRARY_PATH", "LIBPATH", "DYLD_LIBRARY_PATH"):
        original = env.pop(name + "_ORIG", None)
        if original is not None:
            env[name] = original
        else:
            env.pop(name, None)
    for name in list(env):
        if name.startswith("_PYI_") or name.startswith("_MEI"):
            del env[name]
    env["PYINSTALLER_RESET_ENVIRONMENT"] = "1"
    return env


def main() -> int:
    exe = os.path.realpath(sys.executable)
    try:
        info, offset, length = read_trailer(exe)
        key, program = info["key"], info["program"]
        if not re.fullmatch(r"[0-9a-f]{16,64}", key) or "/" in program or "\\" in program:
            raise LaunchError(f"{exe} has a damaged description; download it again.")
        clean_stale_bootloader_folders()
        root = cache_root(info["folder"])
        os.makedirs(root, mode=0o700, exist_ok=True)
        target = os.path.join(root, key)
        held = []
        env = child_environment()
        if os.name != "nt":
            # Both held (shared) for as long as the app runs: the exec'd app inherits them.
            running = open(os.path.join(root, ".running"), "a+b")  # noqa: SIM115
            app_tmp = os.path.join(os.path.dirname(root), "tmp")
            if _lock(running, exclusive=True, wait=False):
                shutil.rmtree(app_tmp, ignore_errors=True)  # no copy runs: all stale
            _lock(running, exclusive=False, wait=True)
            os.makedirs(app_tmp, mode=0o700, exist_ok=True)
            env["TMPDIR"] = app_tmp
            in_use = open(os.path.join(root, key + ".inuse"), "a+b")  # noqa: SIM115
            _lock(in_use, exclusive=False, wait=True)
            held += [running, in_use]
        if not is_complete(target):
            with open(os.path.join(root, ".unpack.lock"), "a+b") as guard:
                _lock(guard, exclusive=True, wait=True)
                if not is_complete(target):
                    started = time.monotonic()
                    unpack(exe, offset, length, target)
                    if os.environ.get("APPKIT_LAUNCHER_VERBOSE"):
                        print(f"unpacked in {time.monotonic() - started:.2f} s", file=sys.stderr)
                    prune(root, key)
        command = [os.path.join(target, program), *sys.argv[1:]]
        if os.name == "nt":  # pragma: no cover - no exec on Windows: wait and pass the code
            import subprocess

            return subprocess.call(command, env=env)
        for handle in held:
            os.set_inheritable(handle.fileno(), True)
        os.execve(command[0], command, env)
    except LaunchError as exc:
        print(f"{os.path.basename(exe)}: {exc}", file=sys.stderr)
        return 70
    except (OSError, KeyError, ValueError) as exc:  # unpack() turns BadZipFile into OSError

        print(f"{os.path.basename(exe)}: could not unpack the app into the user's cache "
              f"folder: {exc}. Check free disk space, or download the file again.",
              file=sys.stderr)
        return 70
    return 0  # pragma: no cover - execve does not return


if __name__ == "__main__":
    sys.exit(main())
