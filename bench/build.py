"""Size and start-up of a built executable: ``appkit build`` against bare PyInstaller.

In one run, on this machine:

- **appkit**: ``appkit build examples/todo`` (one file: the launcher that unpacks once into
  the user's cache) and ``appkit build examples/todo --onedir``; both with the GTK backend.
- **plain**: ``bench/apps/plain_hello_build.py`` (Starlette + uvicorn + pywebview GTK, a
  "hello"), built with ``pyinstaller --onefile`` and nothing else but ``--exclude-module``
  for the Qt bindings, so that both bundle the same webview backend (GTK). Bare, it also
  bundles Qt (pywebview's Qt module imports it): 254 MiB and 6.6 s to start, which says
  more about Qt than about the one-file format.

For each executable: its size, the first start (a fresh cache: appkit's one file unpacks
itself) and the warm start (median of ``--runs`` later starts), each measured from just
before ``Popen`` to the first page served, headless: the program prints its ``ready:``
line and the script then fetches the page (with appkit's launch token). Every start gets
fresh private per-user folders except the cache, which the warm starts share with the
first start. The temporary folder is private as well.

Targets (issue 16, section 4): appkit's one file warm start within 0.05 s of the onedir
build (issue 4 asked for 0.3 s); its size at most 48 MiB (issue 4: no more than 10 MiB over
the plain baseline with the same webview backend).

    .venv/bin/python bench/build.py            # 10 warm starts each
    .venv/bin/python bench/build.py --runs 3   # a smoke test
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.machine import cpu_model, version  # noqa: E402

REPO = Path(__file__).resolve().parent.parent


def env_for(home: Path, cache: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_RUNTIME_DIR",
                 "TMPDIR"):
        path = home / name.lower()
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        env[name] = str(path)
    env["XDG_CACHE_HOME"] = str(cache)
    return env


def first_page(program: list[str], env: dict[str, str]) -> float:
    """Seconds from Popen to the first page served (headless)."""
    started = time.perf_counter()
    proc = subprocess.Popen([*program, "--headless"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, start_new_session=True)
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith("ready: "):
                url = line.split(" ", 1)[1].strip()
                break
        else:
            raise RuntimeError(f"{program[0]} ended without a ready line")
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        with opener.open(url, timeout=30) as response:
            response.read()
            if response.status != 200:
                raise RuntimeError(f"{program[0]} answered {response.status}")
        return time.perf_counter() - started
    finally:
        os.killpg(proc.pid, 9)
        proc.wait()
        proc.stdout.close() if proc.stdout else None


def measure(name: str, program: Path, runs: int, work: Path) -> dict[str, float]:
    cache = work / f"cache-{name}"
    first = first_page([str(program)], env_for(work / f"home-{name}-0", cache))
    warm = [first_page([str(program)], env_for(work / f"home-{name}-{i}", cache))
            for i in range(1, runs + 1)]
    # A one-folder build is the whole folder, not just its small executable.
    size = (sum(p.stat().st_size for p in program.parent.rglob("*") if p.is_file())
            if "onedir" in name else program.stat().st_size)
    print(f"  {name}: size {size / 2**20:.1f} MiB, first start {first:.3f} s, warm "
          f"{statistics.median(warm):.3f} s ({min(warm):.3f}-{max(warm):.3f})", flush=True)
    return {"size": size, "first": first, "warm": statistics.median(warm)}


def build_all(work: Path) -> dict[str, Path]:
    python = sys.executable
    env = env_for(work / "home-build", work / "cache-build")
    started = time.perf_counter()
    for args in (["-o", str(work / "onefile")], ["--onedir", "-o", str(work / "onedir")]):
        subprocess.run([python, "-m", "appkit.cli", "build", str(REPO / "examples" / "todo"),
                        "--no-check", *args], cwd=work, env=env, check=True,
                       stdout=subprocess.DEVNULL)
    print(f"built appkit one file and onedir in {time.perf_counter() - started:.0f} s")
    started = time.perf_counter()
    # Bare PyInstaller, except that the Qt bindings are left out: pywebview's module for
    # the Qt backend imports them, so PyInstaller would otherwise bundle Qt (about 190 MiB)
    # next to GTK. Without them it bundles the same webview backend as appkit's gtk build.
    no_qt = [arg for module in ("PyQt6", "PyQt5", "PySide6", "PySide2", "qtpy")
             for arg in ("--exclude-module", module)]
    subprocess.run([python, "-m", "PyInstaller", "--onefile", "--noconfirm", "--log-level",
                    "WARN", *no_qt, "--distpath", str(work / "plain"), "--workpath",
                    str(work / "plain-work"), "--specpath", str(work),
                    str(REPO / "bench" / "apps" / "plain_hello_build.py")],
                   cwd=work, env=env, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    print(f"built the plain baseline in {time.perf_counter() - started:.0f} s")
    return {
        "appkit one file": work / "onefile" / "todo",
        "appkit onedir": work / "onedir" / "todo" / "todo",
        "plain onefile": work / "plain" / "plain_hello_build",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=10, help="warm starts of each")
    args = parser.parse_args()
    print(f"Machine: {os.cpu_count()} cores, {cpu_model()}; Python {sys.version.split()[0]}, "
          f"PyInstaller {version('pyinstaller')}, pywebview {version('pywebview')}, "
          f"uvicorn {version('uvicorn')}")
    work = Path(tempfile.mkdtemp(prefix="appkit-bench-build-"))
    try:
        programs = build_all(work)
        results = {name: measure(name, path, args.runs, work)
                   for name, path in programs.items()}
    finally:
        shutil.rmtree(work, ignore_errors=True)
    one, onedir, plain = (results[k] for k in ("appkit one file", "appkit onedir",
                                               "plain onefile"))
    extra = (one["size"] - plain["size"]) / 2**20
    gap = one["warm"] - onedir["warm"]
    print()
    print("| executable | size, MiB | first start, s | warm start, s (median) |")
    print("|---|---:|---:|---:|")
    for name, r in results.items():
        print(f"| {name} | {r['size'] / 2**20:.1f} | {r['first']:.3f} | {r['warm']:.3f} |")
    print()
    print(f"appkit one file, warm, minus onedir: {gap:+.3f} s (target <= 0.05 s: "
          f"{'met' if gap <= 0.05 else 'NOT met'})")
    mib = one["size"] / 2**20
    print(f"appkit one file size: {mib:.1f} MiB (target <= 48 MiB: "
          f"{'met' if mib <= 48 else 'NOT met'}); minus plain: {extra:+.1f} MiB")
    print(f"warm start, appkit one file / plain one file: {one['warm'] / plain['warm']:.2f}")


if __name__ == "__main__":
    main()
