"""A wizard: import a CSV file step by step, in one ``async def`` that awaits the user.

The view (``@app.view``) runs on the server: it asks for the file, then for the options,
runs the import as a background job (``app.jobs``) while the page shows its progress, shows
the result and offers to start over. Each ``await`` is one step; a connection that drops
for a while resumes at the same step, and nothing that already ran runs again. Closing the
window ends the view: ``ViewClosed`` is raised at its ``await`` and its ``defer`` callbacks
run (here: the uploaded file is deleted). Run it with ``appkit run examples/wizard``.

A view's form sends text only, so the file goes on its own: choosing it posts it to
``/upload`` (``CsvFile.control``), which saves it in the app's data folder and puts its
saved name in the form; the form then sends that name.
"""

from __future__ import annotations

import csv
import logging
import re
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

from appkit import App, BadRequest, UploadFile
from appkit.app.forms import FormField
from appkit.html import (
    H2,
    Button,
    Div,
    Element,
    Input,
    Label,
    P,
    Pre,
    Progress,
    Small,
    Table,
    Td,
    Th,
    Tr,
)
from appkit.jobs import progress
from appkit.live import View, ViewClosed

app = App("wizard-example", title="Import a CSV file")
logger = logging.getLogger("wizard")
MAX_SIZE = 5 * 1024 * 1024
#: Seconds of "work" per row (stands for writing it somewhere); tests make it longer.
ROW_DELAY = 0.02


def uploads() -> Path:
    """Where uploaded files are kept (the app's data folder)."""
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

class CsvFile:
    """A form field that uploads a file as soon as it is chosen (to ``/upload``) and holds
    the saved file's name: the value the form sends."""

    multiple = False

    def check_type(self, tp: Any, where: str) -> None:
        pass

    def read(self, raw: Any, field: FormField) -> str:
        name = str(raw or "")
        if not re.fullmatch(r"[0-9a-f]{16}\.csv", name) or not (uploads() / name).is_file():
            raise ValueError("Choose a CSV file")
        return name

    def control(self, field: FormField, value: Any, error: str | None,
                attrs: Mapping[str, Any]) -> Element:
        return Div(
            Label(field.label, Input(type="file", name="upload", accept=".csv,text/csv",
                                     hx_post="/upload", hx_encoding="multipart/form-data",
                                     hx_target="#saved-file", hx_swap="outerHTML")),
            saved(value or ""),
            Small(error, id="file-error") if error else "",
        )


def saved(name: str, shown: Any = "") -> Element:
    """The uploaded file's name, sent with the form."""
    return Div(Input(type="hidden", name="file", value=name), shown, id="saved-file")


@dataclass
class Source:
    file: Annotated[str, CsvFile()]


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

    def delete_upload() -> None:
        if path is not None:
            path.unlink(missing_ok=True)

    view.defer(delete_upload)                                   # however the view ends
    try:
        while True:
            logger.info("step 1: the file")
            source = await view.submit(Source, show=H2("1. Choose a CSV file"))
            path = uploads() / source.file

            logger.info("step 2: the options")
            first = path.read_text(encoding="utf-8").splitlines()[:3]
            options = await view.submit(Options, show=[
                H2("2. Options"), P("The file begins with:"), Pre("\n".join(first))])

            logger.info("step 3: the import")
            run_id = app.jobs.enqueue("import_csv", {
                "name": source.file, "delimiter": options.delimiter.value,
                "header": options.header, "delay": ROW_DELAY})
            run = await view.job(run_id, progress=lambda run: view.show(
                H2("3. Importing"), Progress(value=run.progress or 0, id="progress"),
                P(run.progress_message or "Waiting for a worker", id="status")))
            delete_upload()

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


@app.post("/upload")
async def upload(upload: UploadFile) -> Element:
    """Save a chosen file in the app's data folder; the form gets its saved name."""
    data = await upload.read(MAX_SIZE + 1)
    if len(data) > MAX_SIZE:
        raise BadRequest(f"{upload.filename} is larger than {MAX_SIZE // 1024 // 1024} MB: "
                         "choose a smaller file")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest(f"{upload.filename} is not a text file in UTF-8: export it as "
                         "CSV (UTF-8)") from None
    name = secrets.token_hex(8) + ".csv"
    (uploads() / name).write_bytes(data)
    return saved(name, Small(f"{upload.filename} ({len(data):,} bytes)"))
