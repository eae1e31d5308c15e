"""A wizard: import a CSV file step by step, in one ``async def`` that awaits the user.

The view (``@app.view``) runs on the server: it asks for the file, then for the options,
runs the import as a background job (``app.jobs``) while the page shows its progress, shows
the result and offers to start over. Each ``await`` is one step; a connection that drops
for a while resumes at the same step, and nothing that already ran runs again. Closing the
window ends the view: ``ViewClosed`` is raised at its ``await`` and its ``defer`` callbacks
run (here: the saved copy of the file is deleted). Run it with ``appkit run examples/wizard``.

The first form has a file input: the page posts that form over HTTP (multipart), and
``view.submit`` returns the model with the file in it. Its field (``CsvFile``) reads the
file and refuses one that is not a CSV file, not UTF-8 text, or empty: the form shows why
and the view waits on the same step. A file over ``MAX_SIZE`` (the app's request limit)
is refused with 413 before the view sees it; the page says so, and the view waits still.
"""

from __future__ import annotations

import asyncio
import csv
import logging
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

from appkit import App, ConfigurationError, UploadFile
from appkit.app.forms import FormField
from appkit.html import H2, Button, Element, Field, P, Pre, Progress, Table, Td, Th, Tr
from appkit.jobs import progress
from appkit.live import View, ViewClosed

#: The largest request the app takes (a file and the form around it): 413 above it.
MAX_SIZE = 5 * 1024 * 1024
app = App("wizard-example", title="Import a CSV file", max_body_size=MAX_SIZE)
logger = logging.getLogger("wizard")
#: Seconds of "work" per row (stands for writing it somewhere); tests make it longer.
ROW_DELAY = 0.02


def uploads() -> Path:
    """Where chosen files are kept while they are imported (the app's data folder)."""
    folder = app.paths.data / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


# ---- the job: top-level, so that a worker process can import it ------------------------------

@app.task(timeout=600)
def import_csv(name: str, delimiter: str, header: bool, delay: float) -> dict[str, Any]:
    """Read the uploaded file ``name`` row by row; rows with another number of columns
    than the first are skipped."""
    with (uploads() / name).open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle, delimiter=delimiter))
    columns = rows.pop(0) if header and rows else []
    width = len(columns or (rows[0] if rows else []))
    imported = skipped = 0
    for number, row in enumerate(rows, start=1):
        if len(row) == width:
            imported += 1
        else:
            skipped += 1
        progress(number / len(rows), f"{number} of {len(rows)} rows")
        time.sleep(delay)
    return {"rows": imported, "skipped": skipped, "columns": columns}


# ---- the forms ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class CsvText:
    """A CSV file the user chose: its name and its text."""

    name: str
    text: str


class CsvFile:
    """A form field for a CSV file: a file input; what the form sends for it (an
    ``UploadFile``, or nothing when no file was chosen) is read here, and a file that is not
    a CSV file in UTF-8 with something in it is refused with a message the field shows."""

    multiple = False

    def check_type(self, tp: Any, where: str) -> None:
        if tp is not CsvText:
            raise ConfigurationError(f"The {where} is a CsvFile: annotate it CsvText")

    def read(self, raw: Any, field: FormField) -> CsvText:
        if not isinstance(raw, UploadFile):
            raise ValueError("Choose a CSV file")
        name = raw.filename or "The file"
        if not name.lower().endswith(".csv") and raw.content_type != "text/csv":
            raise ValueError(f"{name} is not a CSV file: choose a file whose name ends "
                             "in .csv")
        data = raw.file.read()          # at most MAX_SIZE: the request's limit
        try:
            text: str | None = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = None
        if text is None or "\x00" in text:
            raise ValueError(f"{name} is not a text file in UTF-8: export it as CSV (UTF-8)")
        if not text.strip():
            raise ValueError(f"{name} is empty: choose a file with rows in it")
        return CsvText(name, text)

    def control(self, field: FormField, value: Any, error: str | None,
                attrs: Mapping[str, Any]) -> Element:
        return Field(field.label, field.name, type="file", accept=".csv,text/csv",
                     error=error, required=True, **attrs)


@dataclass
class Source:
    file: Annotated[CsvText, CsvFile()]


class Delimiter(Enum):
    COMMA = ","
    SEMICOLON = ";"
    TAB = "\t"


@dataclass
class Options:
    delimiter: Delimiter = Delimiter.COMMA
    header: bool = True
    label: str = ""


# ---- the view ----------------------------------------------------------------------------------

@app.view("/", title="Import a CSV file")
async def wizard(view: View) -> None:
    """File, options, import, result; then again."""
    path: Path | None = None

    def delete_copy() -> None:
        if path is not None:
            path.unlink(missing_ok=True)

    view.defer(delete_copy)                                     # however the view ends
    try:
        while True:
            logger.info("step 1: the file")
            source = await view.submit(Source, show=H2("1. Choose a CSV file"))
            # The job runs in another process: it reads a copy in the app's data folder.
            name = secrets.token_hex(8) + ".csv"
            path = uploads() / name
            await asyncio.to_thread(path.write_text, source.file.text, encoding="utf-8")

            logger.info("step 2: the options")
            first = source.file.text.splitlines()[:3]
            options = await view.submit(Options, show=[
                H2("2. Options"), P(f"{source.file.name} begins with:"),
                Pre("\n".join(first))])

            logger.info("step 3: the import")
            run_id = app.jobs.enqueue("import_csv", {
                "name": name, "delimiter": options.delimiter.value,
                "header": options.header, "delay": ROW_DELAY})
            run = await view.job(run_id, progress=lambda run: view.show(
                H2("3. Importing"), Progress(value=run.progress or 0, id="progress"),
                P(run.progress_message or "Waiting for a worker", id="status")))
            delete_copy()

            logger.info("step 4: the result")
            result = [H2(f"Imported {options.label or 'the file'}")]
            if run.status == "completed":
                out = run.output
                result.append(Table(
                    Tr(Th("Rows imported"), Td(out["rows"], id="rows")),
                    Tr(Th("Rows skipped"), Td(out["skipped"], id="skipped")),
                    Tr(Th("Columns"), Td(", ".join(out["columns"]) or "(no header)"))))
            else:
                result.append(P(f"The import {run.status}: {run.error}", id="failed"))
            await view.click(Button("Import another file"), show=result)
    except ViewClosed as closed:
        logger.info("closed (%s)", closed.reason)
        raise
