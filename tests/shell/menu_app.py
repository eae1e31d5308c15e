"""An app with a menu bar and a chart, for the real-window tests of the UI kit
(``menu_script.py`` runs it with ``App.run()``; the development mode runs this file with
``appkit run``). Its routes note each visit in ``menu-log.txt`` in the app's data folder,
one line each: ``hello`` for the menu's route, ``second`` for the page an item navigates
to."""

from __future__ import annotations

from typing import Any

from appkit import App
from appkit.html import H1, P, Page
from appkit.ui import charts
from appkit.ui.charts import LineChart
from appkit.ui.menus import Command, Menu, Separator

TITLE = "Menus"


def create_app() -> App:
    app = App("menu-window-test", title=TITLE)
    charts.install(app)

    def note(what: str) -> None:
        app.paths.data.mkdir(parents=True, exist_ok=True)
        with (app.paths.data / "menu-log.txt").open("a", encoding="utf-8") as log:
            log.write(what + "\n")

    @app.get("/")
    def index() -> Any:
        return Page(TITLE, H1("Home"), P("A page with a menu bar."),
                    LineChart("chart", x=[1, 2, 3], series={"y": [1, 3, 2]}, height=120))

    @app.get("/second")
    def second() -> Any:
        note("second")
        return Page("Second", H1("Second"))

    @app.post("/hello")
    def hello() -> Any:
        note("hello")
        return ""

    app.menu(
        Menu("File",
             Command("Say hello", post=hello, shortcut="Ctrl+Shift+H"),
             Separator(),
             Command("Second page", navigate=second)),
        Menu("Help", Command("Home", navigate=index)),
    )
    return app


app = create_app()
