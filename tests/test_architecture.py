"""The layout itself: phases as subpackages, no import circles, modules of a readable size,
tests that mirror modules, and every third-party import declared in pyproject.toml."""

from __future__ import annotations

import ast
import importlib.metadata
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "briefgen"
MAX_LINES = 450
PHASES = {"sources", "notes", "dedupe", "llm", "publish", "editor", "text"}


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PKG.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


def _imports(name: str, path: Path) -> set[str]:
    """briefgen modules imported anywhere in the file, lazy imports inside functions included."""
    modules = _modules()
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                mod = f"{base}.{node.module}" if node.module else base
            else:
                mod = node.module or ""
            found.add(mod)
            found |= {f"{mod}.{a.name}" for a in node.names}
    return {m for m in found if m in modules and m != name}


def _graph() -> dict[str, set[str]]:
    return {name: _imports(name, path) for name, path in _modules().items()}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_phases_are_visible_from_the_package_listing() -> None:
    assert PHASES <= {p.name for p in PKG.iterdir() if (p / "__init__.py").exists()}
    top = {p.stem for p in PKG.glob("*.py")}
    assert top <= {"__init__", "__main__", "config", "errors", "models", "pipeline", "store", "resources"}
    assert (PKG / "cli" / "__init__.py").exists()


def test_no_import_circles() -> None:
    # Package __init__ files only document their phase; a circle through one is still a circle.
    assert _cycle(_graph()) is None, " -> ".join(_cycle(_graph()) or [])


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_the_text_toolkit_imports_nothing_else_of_briefgen() -> None:
    for name, deps in _graph().items():
        if name.startswith("briefgen.text"):
            assert all(d.startswith("briefgen.text") for d in deps), (name, deps)


def test_no_module_is_too_big_to_read() -> None:
    big = {name: n for name, path in _modules().items() if (n := len(path.read_text().splitlines())) > MAX_LINES}
    assert not big, big


def test_every_module_has_its_test_file() -> None:
    tests = {p.stem for p in (ROOT / "tests").glob("test_*.py")}
    # The CLI's modules are one surface, tested through the commands in test_cli.py.
    missing = sorted(
        name for name, path in _modules().items()
        if path.name not in ("__init__.py", "__main__.py") and f"test_{path.stem}" not in tests
        and not (name.startswith("briefgen.cli.") and "test_cli" in tests)
    )
    assert not missing, missing


def _declared() -> set[str]:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = list(meta["dependencies"]) + [r for extra in meta["optional-dependencies"].values() for r in extra]
    return {r.split("[")[0].split("=")[0].split(">")[0].split("<")[0].strip().lower().replace("_", "-") for r in reqs}


def test_every_third_party_import_is_declared() -> None:
    dists = importlib.metadata.packages_distributions()
    declared = _declared()
    undeclared = {}
    for path in _modules().values():
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module] if isinstance(node, ast.ImportFrom) and not node.level and node.module else [])
            for full in names:
                top = full.split(".")[0]
                if top == "briefgen" or top in sys.stdlib_module_names:
                    continue
                owners = {d.lower().replace("_", "-") for d in dists.get(top, [top])}
                if not owners & declared:
                    undeclared[top] = path.relative_to(ROOT)
    assert not undeclared, undeclared


@pytest.mark.parametrize("broken", ["import nosuchlib\n", "from nosuchlib.sub import x\n"])
def test_the_declared_check_sees_an_undeclared_import(broken: str, tmp_path: Path) -> None:
    tree = ast.parse(broken)
    node = tree.body[0]
    name = node.names[0].name if isinstance(node, ast.Import) else node.module  # type: ignore[union-attr]
    assert name and name.split(".")[0] not in _declared()
