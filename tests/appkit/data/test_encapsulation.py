"""appkit.data's modules use each other through names without a leading underscore: no
code reaches into another class's ``_private`` attributes (``store._write_lock``,
``db._serial``...). What they share lives in ``appkit/data/_connections.py``."""

from __future__ import annotations

import ast
from pathlib import Path

import appkit.data

PACKAGE = Path(appkit.data.__file__).parent


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


class _Finder(ast.NodeVisitor):
    """Finds ``x._name`` where ``x`` is not ``self``/``cls`` and the class the code is in
    does not define ``_name`` itself (so ``other._scope`` in a method of the class that
    defines ``_scope``, e.g. on a copy of ``self``, is its own business)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.owned: list[set[str]] = [set()]  # module level owns nothing
        self.found: list[str] = []

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        owned = set()
        for statement in node.body:  # methods and class attributes
            if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
                owned.add(statement.name)
            elif isinstance(statement, ast.Assign | ast.AnnAssign):
                targets = statement.targets if isinstance(statement, ast.Assign) \
                    else [statement.target]
                owned.update(t.id for t in targets if isinstance(t, ast.Name))
        for child in ast.walk(node):  # what its methods set on self / cls
            if isinstance(child, ast.Attribute) and isinstance(child.ctx, ast.Store) \
                    and isinstance(child.value, ast.Name) and child.value.id in ("self", "cls"):
                owned.add(child.attr)
        self.owned.append(owned)
        self.generic_visit(node)
        self.owned.pop()

    def visit_Attribute(self, node: ast.Attribute) -> None:
        base = node.value
        is_self = isinstance(base, ast.Name) and base.id in ("self", "cls")
        if _private(node.attr) and not is_self and node.attr not in self.owned[-1]:
            self.found.append(f"{self.path.name}:{node.lineno}: {ast.unparse(node)}")
        self.generic_visit(node)


def private_accesses(path: Path) -> list[str]:
    finder = _Finder(path)
    finder.visit(ast.parse(path.read_text(encoding="utf-8"), str(path)))
    return finder.found


def test_no_module_reaches_into_another_objects_private_attributes() -> None:
    modules = sorted(PACKAGE.glob("*.py"))
    assert PACKAGE / "_connections.py" in modules
    found = [hit for path in modules for hit in private_accesses(path)]
    assert found == [], "\n".join(found)


def test_the_check_finds_what_it_is_for(tmp_path: Path) -> None:
    source = tmp_path / "sample.py"
    source.write_text(
        "import asyncio\n"
        "class Database:\n"
        "    def __init__(self, store):\n"
        "        self._lock = store._write_lock\n"          # another class's private
        "        self.store = store\n"
        "    def close(self):\n"
        "        self.store._forget(self)\n"                # through a public attribute
        "        asyncio._get_running_loop()\n"             # a module's private
        "class Table:\n"
        "    def __init__(self):\n"
        "        self._scope = {}\n"
        "    def scoped(self):\n"
        "        view = Table()\n"
        "        view._scope = dict(self._scope)\n"         # its own class's: allowed
        "        return view.__class__, self._scope\n",     # dunders and self: allowed
        encoding="utf-8")
    assert private_accesses(source) == [
        "sample.py:4: store._write_lock",
        "sample.py:7: self.store._forget",
        "sample.py:8: asyncio._get_running_loop",
    ]
