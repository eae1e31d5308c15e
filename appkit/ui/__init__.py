"""``appkit.ui``: a desktop UI kit, so an app looks and works like a desktop tool with no
CSS written by its author, offline.

    from appkit import App
    from appkit.ui import Card, Icon, NavItem, Shell, ToolButton, UISettings

    app = App("expenses", extensions=[UISettings()])

    @app.get("/")
    def index():
        return Shell(Card(P("Spent this month: 1,234.00"), title="May"),
                     title="Expenses", nav=[NavItem("Overview", "/", icon="house")],
                     current="/", toolbar=[ToolButton("Add", icon="plus")])

- ``UISettings``: the kit on every page (its stylesheet and script), the density and the
  default theme; light and dark follow the system until the user picks one.
- ``Shell``, ``NavItem``, ``ThemeToggle``: the window's layout (tool bar, sidebar, content,
  status bar) and the theme switch.
- ``Card``, ``Grid``, ``Group``, ``Toolbar``, ``ToolButton``: layout pieces.
- ``Tabs``/``Tab``, ``Dropdown``/``MenuItem``/``MenuSeparator``, ``Dialog``/
  ``DialogButton``/``DialogClose``, ``Badge``, ``ProgressBar``: widgets that work from the
  keyboard, in the page.
- ``Icon("trash")``: Lucide's icons, inline.
- ``Markdown(text)``: Markdown rendered on the server, code highlighted.
- ``LineChart``, ``BarChart``, ``PieChart``, ``add_points``, ``from_rows``: charts (uPlot),
  updated live.
- ``DataGrid``, ``Column``, ``Query``, ``Rows``: a live grid over a table, a query or a
  list: search, sort, paging, edit, export.
- ``Reorder``: a list to reorder by mouse or keyboard that posts the new order.
- ``Autocomplete``, ``Tags``, ``Score``: form-model field types
  (``Annotated[str, Autocomplete(options)]``), checked on the server.
- ``Menu``, ``Command``, ``Separator``: the window's native menu (``app.menu(...)``).

See docs/ui.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from appkit._lazy import lazy_names
from appkit.ui.errors import UIError, UnknownIcon
from appkit.ui.extension import UIExtension
from appkit.ui.fields import Autocomplete, Score, Tags
from appkit.ui.icons import Icon, icon_names
from appkit.ui.layout import (
    Card,
    Grid,
    Group,
    NavItem,
    Shell,
    ThemeToggle,
    Toolbar,
    ToolButton,
)
from appkit.ui.settings import UISettings
from appkit.ui.widgets import (
    Badge,
    Dialog,
    DialogButton,
    DialogClose,
    Dropdown,
    MenuItem,
    MenuSeparator,
    ProgressBar,
    Tab,
    Tabs,
)

if TYPE_CHECKING:
    from appkit.ui.charts import BarChart, ChartError, LineChart, PieChart, add_points, from_rows
    from appkit.ui.grid import Column, DataGrid, Query, Rows
    from appkit.ui.markdown import Markdown, MarkdownTooLarge
    from appkit.ui.menus import Command, Menu, Separator
    from appkit.ui.progress import JobProgress
    from appkit.ui.reorder import Reorder, ReorderError

# Markdown (Pygments), data grids (the live layer), charts, reorder lists and menus load
# when first asked for.
__getattr__ = lazy_names(__name__, {
    **dict.fromkeys(("BarChart", "ChartError", "LineChart", "PieChart", "add_points",
                     "from_rows"), "appkit.ui.charts"),
    **dict.fromkeys(("Column", "DataGrid", "Query", "Rows"), "appkit.ui.grid"),
    **dict.fromkeys(("Markdown", "MarkdownTooLarge"), "appkit.ui.markdown"),
    "JobProgress": "appkit.ui.progress",
    **dict.fromkeys(("Command", "Menu", "Separator"), "appkit.ui.menus"),
    **dict.fromkeys(("Reorder", "ReorderError"), "appkit.ui.reorder"),
})

__all__ = [
    "Autocomplete",
    "Score",
    "Tags",
    "BarChart",
    "ChartError",
    "Column",
    "Command",
    "DataGrid",
    "JobProgress",
    "LineChart",
    "Markdown",
    "MarkdownTooLarge",
    "Menu",
    "PieChart",
    "Query",
    "Reorder",
    "ReorderError",
    "Rows",
    "Separator",
    "add_points",
    "from_rows",
    "Badge",
    "Card",
    "Dialog",
    "DialogButton",
    "DialogClose",
    "Dropdown",
    "Grid",
    "Group",
    "Icon",
    "MenuItem",
    "MenuSeparator",
    "NavItem",
    "ProgressBar",
    "Shell",
    "Tab",
    "Tabs",
    "ThemeToggle",
    "ToolButton",
    "Toolbar",
    "UIError",
    "UIExtension",
    "UISettings",
    "UnknownIcon",
    "icon_names",
]
