"""Tasks: the functions the scheduler can run, and the checks made when a run is queued.

A task is a module-level function. Its worker process imports it again by module and
qualified name (``TaskRef``), so closures, lambdas and methods of instances cannot be
tasks; a module loaded from a file under another name (``appkit run app.py``) is found
through the file it came from.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import json
import math
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from appkit.errors import ConfigurationError
from appkit.jobs.errors import InvalidInputs

__all__ = ["Task", "TaskRef"]

_MAX_INPUTS = 1024 * 1024  # bytes of JSON: inputs are arguments, not data sets


@dataclass(frozen=True)
class TaskRef:
    """How a worker process finds a task's function: ``module`` and ``qualname``, and the
    module's ``file`` for a module that cannot be imported by its name."""

    module: str
    qualname: str
    file: str | None = None

    @classmethod
    def of(cls, fn: Callable[..., Any], name: str) -> TaskRef:
        """The reference to ``fn``.

        Raises:
            ConfigurationError: a worker process could not import ``fn`` (a lambda, a
                function defined inside another, a module without a file).
        """
        module_name = getattr(fn, "__module__", None)
        qualname = getattr(fn, "__qualname__", None)
        if not callable(fn) or not module_name or not qualname:
            raise ConfigurationError(
                f"Task {name!r}: {fn!r} is not a function. Register a function defined at "
                "the top level of a module")
        if "<" in qualname:  # <lambda>, <locals>
            raise ConfigurationError(
                f"Task {name!r}: {qualname} is not defined at the top level of its module "
                f"({module_name}), so a worker process cannot import it. Move it to the "
                "module's top level")
        module = sys.modules.get(module_name)
        file = getattr(module, "__file__", None) if module is not None else None
        if module_name == "__main__" and not file:
            raise ConfigurationError(
                f"Task {name!r} is defined in an interactive session or `python -c`; a "
                "worker process can only import a task from a file. Put it in a module")
        return cls(module_name, qualname, str(file) if file else None)

    def values(self) -> tuple[str, str, str | None]:
        """The reference as plain values (``TaskRef(*ref.values())`` makes it again)."""
        return (self.module, self.qualname, self.file)

    def load(self) -> Callable[..., Any]:
        """Import and return the function (in a worker process).

        Raises:
            ImportError: the module cannot be imported.
            AttributeError: the module has no such function.
        """
        module = sys.modules.get(self.module) or _import(self.module, self.file)
        obj: Any = module
        for part in self.qualname.split("."):
            obj = getattr(obj, part)
        return obj  # type: ignore[no-any-return]


def _import(name: str, file: str | None) -> Any:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        # Only when the module itself is missing (not a module it imports): one loaded
        # from a path under a name of its own (appkit.loader does that).
        if file is None or not (exc.name == name or name.startswith(f"{exc.name}.")):
            raise
    spec = importlib.util.spec_from_file_location(name, file)
    if spec is None or spec.loader is None:
        raise ImportError(f"Cannot import {name!r} from {file}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return module


@dataclass(frozen=True)
class Task:
    """A registered task: its ``name``, function, default ``timeout`` (seconds or None),
    and how many ``retries`` a failed run gets."""

    name: str
    fn: Callable[..., Any]
    timeout: float | None
    retries: int
    ref: TaskRef

    @classmethod
    def make(cls, name: str, fn: Callable[..., Any], timeout: float | timedelta | None,
             retries: int) -> Task:
        """Check the options and make the task.

        Raises:
            ConfigurationError: a bad name, function, timeout or retries.
        """
        if not isinstance(name, str) or not name.strip():
            raise ConfigurationError(f"A task needs a name (a non-empty string), not {name!r}")
        if not isinstance(retries, int) or isinstance(retries, bool) or retries < 0:
            raise ConfigurationError(
                f"Task {name!r}: retries must be a whole number, 0 or more, not {retries!r}")
        return cls(name, fn, seconds(timeout, f"Task {name!r}: timeout"), retries,
                   TaskRef.of(fn, name))

    def check_inputs(self, inputs: Mapping[str, Any] | None) -> str:
        """The inputs as JSON, after checking that they are JSON and that the function
        takes them as keyword arguments.

        Raises:
            InvalidInputs: the message says which value is wrong and why.
        """
        if inputs is None:
            inputs = {}
        if not isinstance(inputs, Mapping):
            raise InvalidInputs(
                f"The inputs of task {self.name!r} must be a dict of keyword arguments, "
                f"not {type(inputs).__name__}: {inputs!r}")
        _check_json(inputs, "inputs")
        try:
            signature = inspect.signature(self.fn)
        except (TypeError, ValueError):
            signature = None  # a builtin or C function: its worker will tell
        if signature is not None:
            try:
                signature.bind(**inputs)
            except TypeError as exc:
                raise InvalidInputs(
                    f"Task {self.name!r} takes {_call_shape(self.fn, signature)}; the "
                    f"inputs {dict(inputs)!r} do not fit: {exc}") from None
        text = json.dumps(inputs, allow_nan=False, separators=(",", ":"))
        if len(text) > _MAX_INPUTS:
            raise InvalidInputs(
                f"The inputs of task {self.name!r} are {len(text)} bytes of JSON, more than "
                f"{_MAX_INPUTS}. Pass a reference instead (a path, a row id)")
        return text


def _call_shape(fn: Callable[..., Any], signature: inspect.Signature) -> str:
    """``name(a, b=0, **options)``: the parameters without their annotations (which are
    strings under ``from __future__ import annotations``)."""
    shown = []
    for parameter in signature.parameters.values():
        text = parameter.name
        if parameter.kind is parameter.VAR_POSITIONAL:
            text = f"*{text}"
        elif parameter.kind is parameter.VAR_KEYWORD:
            text = f"**{text}"
        elif parameter.default is not parameter.empty:
            text = f"{text}={parameter.default!r}"
        shown.append(text)
    return f"{getattr(fn, '__name__', 'the function')}({', '.join(shown)})"


def _check_json(value: Any, where: str) -> None:
    """Raise InvalidInputs naming the first value under ``where`` that JSON cannot hold
    as it is (or would change: tuples become lists, non-string keys become strings)."""
    if value is None or isinstance(value, str | bool | int):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidInputs(f"{where} is {value!r}, which JSON cannot hold. Pass a "
                                "finite number or None")
        return
    if isinstance(value, list):
        for index, item in enumerate(value):
            _check_json(item, f"{where}[{index}]")
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise InvalidInputs(
                    f"{where} has the key {key!r} ({type(key).__name__}); JSON keys are "
                    "strings. Use string keys")
            _check_json(item, f"{where}[{key!r}]")
        return
    hint = " (e.g. value.isoformat())" if isinstance(value, datetime) else ""
    kind = "a tuple, which JSON turns into a list" if isinstance(value, tuple) else (
        f"a {type(value).__module__}.{type(value).__qualname__}, which JSON cannot hold")
    raise InvalidInputs(
        f"{where} is {kind}: {value!r}. Inputs must be JSON: pass strings, numbers, "
        f"booleans, None, lists and dicts{hint}")


def seconds(value: float | timedelta | None, what: str) -> float | None:
    """``value`` in seconds (a number or a timedelta), or None; it must be positive.

    Raises:
        ConfigurationError: not a positive number of seconds.
    """
    if value is None:
        return None
    if isinstance(value, timedelta):
        value = value.total_seconds()
    if isinstance(value, bool) or not isinstance(value, int | float) or not (
            math.isfinite(value) and value > 0):
        raise ConfigurationError(
            f"{what} must be a positive number of seconds or a timedelta, not {value!r}")
    return float(value)


def timestamp(when: datetime | timedelta | None, now: float) -> float:
    """The epoch time of ``when``: a datetime (a naive one is local time), a timedelta
    from ``now``, or None for now.

    Raises:
        ConfigurationError: something else.
    """
    if when is None:
        return now
    if isinstance(when, timedelta):
        return now + when.total_seconds()
    if isinstance(when, datetime):
        return when.timestamp()
    raise ConfigurationError(
        f"scheduled_for must be a datetime or a timedelta (from now), not {when!r}")
