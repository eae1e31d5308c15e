"""The package's shape: imports go one way (html <- app <- extensions <- the assembled
App, the CLI and the tools), the module-level imports form no cycle, shell imports nothing
of appkit, and no module grows past its size limit."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Lower layers never import higher ones; the extensions never import each other. The UI kit
# is an extension built on the live layer (its grid is a live component): a layer of its own.
LAYERS = {
    "appkit.html": 0, "appkit.errors": 0, "appkit._lazy": 0,
    "appkit.desktop": 1, "appkit.app": 1,
    "appkit.sessions": 2, "appkit.data": 2, "appkit.jobs": 2, "appkit.live": 2,
    "appkit.ui": 2.5,
    "appkit.standard": 3, "appkit": 3, "appkit.testing": 3, "appkit.loader": 3,
    "appkit.devchild": 3, "appkit.build": 3, "appkit.cli": 4,
}
EXTENSIONS = {"appkit.sessions", "appkit.data", "appkit.jobs", "appkit.live"}


def _modules(package: str) -> dict[str, Path]:
    found = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _imports(path: Path, module: str, eager_only: bool) -> set[str]:
    """The appkit/shell modules ``module`` imports (all of them, or only those run when
    it is imported: not inside functions nor under TYPE_CHECKING)."""
    tree = ast.parse(path.read_text())
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names: set[str] = set()

    def visit(node: ast.AST, eager: bool) -> None:
        for child in ast.iter_child_nodes(node):
            lazy = isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef) or (
                isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test))
            if isinstance(child, ast.Import) and (eager or not eager_only):
                names.update(alias.name for alias in child.names)
            elif isinstance(child, ast.ImportFrom) and (eager or not eager_only):
                base = child.module or ""
                if child.level:
                    parent = package.rsplit(".", child.level - 1)[0] if child.level > 1 else package
                    base = f"{parent}.{base}" if base else parent
                names.add(base)
                names.update(f"{base}.{alias.name}" for alias in child.names)
            visit(child, eager and not lazy)

    visit(tree, True)
    return {n for n in names if n.split(".")[0] in ("appkit", "shell")}


def _layer(module: str) -> tuple[str, int] | None:
    best = None
    for prefix, level in LAYERS.items():
        if (module == prefix or module.startswith(prefix + ".")) and (
                best is None or len(prefix) > len(best[0])):
            best = (prefix, level)
    return best


def _resolve(name: str, known: dict[str, Path]) -> str | None:
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name or None


def test_imports_go_one_way() -> None:
    known = _modules("appkit")
    wrong = []
    for module, path in known.items():
        here = _layer(module)
        assert here is not None, f"{module} has no layer in LAYERS: add it"
        for name in _imports(path, module, eager_only=False):
            if name.startswith("shell"):
                continue
            target = _resolve(name, known)
            there = _layer(target) if target else None
            if there is None or there[0] == here[0] or target == module:
                continue
            if there[1] > here[1] or (there[0] in EXTENSIONS and here[0] in EXTENSIONS):
                wrong.append(f"{module} imports {target}")
    assert not wrong, "imports against the direction html <- app <- extensions <- cli:\n" + (
        "\n".join(wrong))


def test_the_core_imports_no_extension_not_even_lazily() -> None:
    known = _modules("appkit")
    for module, path in known.items():
        if module.startswith("appkit.app"):
            targets = {_resolve(n, known) for n in _imports(path, module, eager_only=False)}
            assert not {t for t in targets if t and _layer(t) and _layer(t)[0] in EXTENSIONS}


def test_no_import_cycle() -> None:
    known = {**_modules("appkit"), **_modules("shell")}
    graph = {m: {t for n in _imports(p, m, eager_only=True)
                 if (t := _resolve(n, known)) and t != m and not m.startswith(t + ".")}
             for m, p in known.items()}
    # A package's __init__ importing its own submodules is how packages work: leave out
    # the edges from a package to what is below it.
    graph = {m: {t for t in ts if not t.startswith(m + ".")} for m, ts in graph.items()}
    seen: dict[str, int] = {}
    stack: list[str] = []

    def walk(node: str) -> None:
        seen[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if seen.get(nxt) == 1:
                cycle = stack[stack.index(nxt):] + [nxt]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if nxt not in seen:
                walk(nxt)
        stack.pop()
        seen[node] = 2

    for module in sorted(graph):
        if module not in seen:
            walk(module)


def test_shell_imports_nothing_of_appkit() -> None:
    for module, path in _modules("shell").items():
        assert not {n for n in _imports(path, module, False) if n.startswith("appkit")}, module


def test_module_sizes() -> None:
    assert len((ROOT / "appkit/app/application.py").read_text().splitlines()) < 400
    big = [f"{p.relative_to(ROOT)}: {n}" for package in ("appkit", "shell")
           for p in sorted((ROOT / package).rglob("*.py"))
           if (n := len(p.read_text().splitlines())) > 600]
    assert not big, "modules over 600 lines (split them):\n" + "\n".join(big)


def test_the_checker_sees_a_wrong_import(tmp_path: Path) -> None:
    bad = tmp_path / "x.py"
    bad.write_text("def f():\n    from appkit.jobs import Jobs\n")
    assert "appkit.jobs.Jobs" in _imports(bad, "appkit.app.x", eager_only=False)
    assert not _imports(bad, "appkit.app.x", eager_only=True)
