"""``FormComponent``: a live component that is a form (see ``appkit.app.forms``), checking
what the user types as they go."""

from __future__ import annotations

import inspect
import json
from typing import Any, ClassVar

from appkit.live.components import ROUTE, Component, handler, root_path

__all__ = ["FormComponent"]


class FormComponent(Component):
    """A form that checks what the user types as they go: each field is checked when it
    changes (its error shows once the user has been there), all of them on submit;
    ``on_accepted(value)`` gets the model when every check passes.

        class NewExpense(FormComponent):
            model = Expense

            def on_accepted(self, value: Expense) -> None:
                app.table_for(Expense).insert(value)
                self.clear()
    """

    model: ClassVar[type] = object
    submit_label: ClassVar[str] = "Save"
    raw: dict = {}  # noqa: RUF012 (state: each instance gets its own copy)
    errors: dict = {}  # noqa: RUF012
    touched: list = []  # noqa: RUF012
    accepted: bool = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        if cls.__dict__.get("model") is not None and cls.model is not object:
            from appkit.app.forms import Submitted

            def change(self: FormComponent, form: Any, touched: str = "") -> None:
                self.raw = dict(form.raw)
                if touched and touched not in self.touched:
                    self.touched = [*self.touched, touched]
                self.errors = {k: v for k, v in form.errors.items() if k in self.touched}
                self.accepted = False

            async def submit(self: FormComponent, form: Any) -> None:
                self.raw = dict(form.raw)
                self.touched = [f.name for f in self.form_model().fields]
                self.errors = dict(form.errors)
                self.accepted = form.accepted
                if form.accepted:
                    result = self.on_accepted(form.value)
                    if inspect.isawaitable(result):
                        await result

            for fn in (change, submit):
                fn.__annotations__ = {**fn.__annotations__,
                                      "form": Submitted[cls.model]}  # type: ignore[name-defined]
                fn.__qualname__ = f"{cls.__qualname__}.{fn.__name__}"
                setattr(cls, fn.__name__, handler(fn))
        super().__init_subclass__(**kwargs)

    @classmethod
    def form_model(cls) -> Any:
        """The form model of ``model`` (``appkit.app.forms.form_for``)."""
        from appkit.app.forms import form_for

        return form_for(cls.model)

    def on_accepted(self, value: Any) -> Any:
        """Called with the model when a submit passes every check (sync or async)."""

    def clear(self) -> None:
        """Empty the form (after saving, say)."""
        self.raw, self.errors, self.touched = {}, {}, []

    def render(self) -> Any:
        def live(field: Any) -> dict[str, Any]:
            return {"hx_post": root_path() + ROUTE, "hx_trigger": "change",
                    "hx_include": "closest form",
                    "hx_vals": json.dumps({"_h": "change", "touched": field.name})}

        attrs = self.on("submit")
        return self.form_model().render(
            self.raw, self.errors, submit=self.submit_label, field_attrs=live,
            hx_post=attrs["hx-post"], hx_vals=attrs["hx-vals"])
