"""How ``appkit jobs`` prints runs: a table of several, or one in full."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from appkit.jobs.runs import Run

__all__ = ["table", "describe"]


def table(runs: Sequence[Run]) -> str:
    """One line per run: id, task, status, progress, when queued, how long it ran."""
    if not runs:
        return "no runs"
    rows = [("ID", "TASK", "STATUS", "PROGRESS", "QUEUED", "TOOK")]
    for run in runs:
        progress = "" if run.progress is None else f"{run.progress:.0%}"
        rows.append((str(run.id), run.task, str(run.status), progress, _when(run.created),
                     _took(run)))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths,
                                                                         strict=True)).rstrip()
                     for row in rows)


def describe(run: Run) -> str:
    """The whole run: status, times, inputs, output, error and log."""
    lines = [f"run {run.id}: {run.task}, {run.status}"]
    if run.progress is not None:
        lines.append(f"progress: {run.progress:.0%} {run.progress_message or ''}".rstrip())
    lines.append(f"queued:   {_when(run.created)} (for {_when(run.scheduled_for)})")
    if run.started is not None:
        lines.append(f"started:  {_when(run.started)}")
    if run.finished is not None:
        lines.append(f"finished: {_when(run.finished)} (took {_took(run)})")
    lines.append(f"attempts: {run.attempts}")
    lines.append(f"inputs:   {json.dumps(run.inputs, ensure_ascii=False)}")
    if run.output is not None:
        lines.append(f"output:   {json.dumps(run.output, ensure_ascii=False)}")
    if run.error:
        lines += ["error:", _indent(run.error)]
    if run.log:
        lines += ["log:", _indent(run.log)]
    return "\n".join(lines)


def _when(moment: datetime | None) -> str:
    return "" if moment is None else moment.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def _took(run: Run) -> str:
    if run.started is None or run.finished is None:
        return ""
    return f"{(run.finished - run.started).total_seconds():.2f} s"


def _indent(text: str) -> str:
    return "\n".join("  " + line for line in text.rstrip("\n").splitlines())
