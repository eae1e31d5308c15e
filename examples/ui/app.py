"""A tour of the UI kit (docs/ui.md): an app shell with a sidebar, a tool bar and a status
bar, cards in a grid, tabs, a dropdown menu, a dialog, badges, progress bars and icons.

    appkit run examples/ui
"""

from appkit import App
from appkit.html import (
    Button,
    Form,
    Input,
    Label,
    P,
    Small,
    Strong,
    Table,
    Tbody,
    Td,
    Th,
    Thead,
    Tr,
)
from appkit.ui import (
    Badge,
    Card,
    Dialog,
    DialogButton,
    DialogClose,
    Dropdown,
    Grid,
    Group,
    Icon,
    MenuItem,
    MenuSeparator,
    NavItem,
    ProgressBar,
    Shell,
    Tab,
    Tabs,
    Toolbar,
    ToolButton,
    UISettings,
)

app = App("ui-tour", title="Stockroom", extensions=[UISettings()])

ITEMS = [
    ("Printer paper, A4, 80 g/m², box of 2,500 sheets", "Office", 42, "ok"),
    ("Toner cartridge", "Office", 3, "low"),
    ("USB-C charger", "IT", 0, "out"),
    ("Monitor arm", "IT", 11, "ok"),
    ("Coffee beans, 1 kg", "Kitchen", 6, "ok"),
]
TONES = {"ok": ("In stock", "success"), "low": ("Low", "warning"), "out": ("Out", "danger")}


def layout(current, *content):
    """Every page of the tour in the same shell; ``current`` marks its sidebar entry."""
    return Shell(
        *content,
        title="Stockroom",
        nav=[
            NavItem("Overview", overview, icon="layout-dashboard"),
            NavItem("Items", items, icon="package", badge=Badge(len(ITEMS))),
            NavItem("Settings", settings, icon="settings"),
        ],
        current=current,
        toolbar=[
            ToolButton("New item", icon="plus"),
            ToolButton("Import", icon="upload"),
            Dropdown("More", MenuItem("Export as CSV", icon="download"),
                     MenuItem("Print", icon="printer"), MenuSeparator(),
                     MenuItem("About", icon="info", href=settings)),
        ],
        status=[[Icon("circle-check"), "Saved"], f"{len(ITEMS)} items",
                ProgressBar(0.62, label="Sync", show_value=True)],
    )


@app.get("/")
def overview():
    low = [name for name, _, count, state in ITEMS if state != "ok"]
    return layout(
        overview.url(),
        Grid(
            Card(P(Strong(len(ITEMS))), P(Small("kinds of items")),
                 title="Items"),
            Card(P(Strong(len(low))), P(Small("to order: ", ", ".join(low))),
                 title="To order", footer=Badge("Needs attention", tone="warning")),
            Card(ProgressBar(0.62, label="Sync"), ProgressBar(None, label="Import"),
                 title="Background work"),
            Card(P(Badge("neutral"), " ", Badge("info", tone="info"), " ",
                   Badge("success", tone="success"), " ", Badge("warning", tone="warning"),
                   " ", Badge("danger", tone="danger")), title="Badges"),
        ),
    )


@app.get("/items")
def items():
    rows = [Tr(Td(name), Td(group), Td(count), Td(Badge(TONES[state][0], tone=TONES[state][1])))
            for name, group, count, state in ITEMS]
    return layout(
        items.url(),
        Toolbar(ToolButton("Add", icon="plus"), ToolButton("Edit", icon="pencil"),
                ToolButton("Delete", icon="trash", icon_only=True),
                DialogButton("Order…", dialog="order", icon="shopping-cart"),
                label="Items"),
        Table(Thead(Tr(Th("Item"), Th("Group"), Th("Count"), Th("State"))), Tbody(*rows)),
        Dialog("Order more", Form(Label("How many?", Input(name="count", type="number",
                                                         value=10, min=1)),
                                  id="order-form"),
               id="order", buttons=[DialogClose("Cancel"), Button("Order", form="order-form",
                                                                  type="submit")]),
    )


@app.get("/settings")
def settings():
    return layout(
        settings.url(),
        Tabs(
            Tab("General", Label("Name of the stockroom", Input(name="name", value="Stockroom")),
                Group(Input(name="email", placeholder="Who gets the orders"),
                      Button("Check")), icon="sliders-horizontal"),
            Tab("Alerts", Label(Input(type="checkbox", name="alerts", checked=True),
                                "Warn when an item runs low"), icon="bell"),
            Tab("About", P("A tour of appkit's UI kit."), icon="info"),
            id="settings-tabs", label="Settings",
        ),
    )
