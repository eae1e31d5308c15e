"""What the benchmarks say about the machine and the software they ran on."""

from __future__ import annotations

import importlib.metadata
import os
import platform
import time
from pathlib import Path

__all__ = ["cpu_model", "machine_busy", "version", "wait_for_quiet"]


def version(dist: str) -> str:
    """The installed version of distribution ``dist``, or "not installed"."""
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo (or what the platform module knows)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def machine_busy() -> float:
    """CPU seconds the whole machine has spent not idle, so far (0 where /proc is missing)."""
    try:
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    except OSError:
        return 0.0
    return (sum(values[:8]) - values[3] - values[4]) / _TICK  # less idle and iowait


def wait_for_quiet(limit: float, max_wait: float, interval: float = 1.0) -> float:
    """Wait (up to ``max_wait`` s) until the machine uses under ``limit`` cores, measured
    over ``interval`` s; the load seen last (in cores)."""
    deadline = time.monotonic() + max_wait
    while True:
        busy0 = machine_busy()
        time.sleep(interval)
        load = (machine_busy() - busy0) / interval
        if load < limit or time.monotonic() > deadline:
            return load
        print(f"    (the machine is busy with other work: {load:.2f} cores; waiting)",
              flush=True)
