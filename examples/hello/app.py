"""The smallest appkit app: a page, a form, and an htmx request that answers a fragment."""

from appkit import App
from appkit.html import Button, Div, Form, Input, P, Page

app = App("hello")


@app.get("/")
def index():
    form = Form(Input(name="name", placeholder="Your name"), Button("Greet"),
                hx_get=greet, hx_target="#greeting")
    return Page("Hello", form, Div(id="greeting"))


@app.get("/greet")
def greet(name: str = "world"):
    return P(f"Hello, {name or 'world'}!")
