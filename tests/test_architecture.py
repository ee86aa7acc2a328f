"""The import direction is the law: agent <- drivers, sync <- ui. Nothing imports ui.

Beyond the layers: the terminal's code never imports the reference HQ (``sync.hq``),
no module of the four packages takes part in an import cycle, the pure core's tests
import nothing from ``ui`` or ``sync``, and no module grows past a size a reader holds.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("agent", "drivers", "sync", "ui")
EDGES = {
    "textual",
    "serial",
    "escpos",
    "cv2",
    "pyzbar",
    "zxingcpp",
    "httpx",
    "starlette",
    "uvicorn",
    "evdev",
}
FORBIDDEN: dict[str, set[str]] = {
    "agent": EDGES | {"drivers", "sync", "ui"},
    "drivers": {"sync", "ui", "httpx", "starlette", "uvicorn", "textual"},
    "sync": {"drivers", "ui", "textual", "serial", "escpos", "cv2", "pyzbar"},
    "ui": set(),
}
HQ = "sync.hq"
# Who may import the reference HQ besides HQ itself: the `kassa` command, which
# dispatches `kassa hq`, and the tools (benchmarks, the simulator) that start one.
HQ_IMPORTERS = ("ui.cli", "ui.tools")
MAX_LINES = 450


def module_name(path: Path) -> str:
    """``ui/till/app.py`` -> ``ui.till.app``; a file outside the project is its stem."""
    if not path.is_relative_to(ROOT):
        return path.stem
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(path: Path, lazy: bool = True) -> set[str]:
    """Every module ``path`` imports, anywhere in the file (``lazy``: inside functions too).

    ``from a.b import c`` names ``a.b.c`` when that is a module of ours, else ``a.b``;
    relative imports are resolved against the file's package.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    names: set[str] = set()
    nodes = ast.walk(tree) if lazy else iter(tree.body)
    for node in nodes:
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                head = package[: len(package) - node.level + 1]
                base = ".".join([*head, *([base] if base else [])])
            for alias in node.names:
                candidate = f"{base}.{alias.name}" if base else alias.name
                names.add(candidate if is_our_module(candidate) else base)
    return {n for n in names if n}


def is_our_module(name: str) -> bool:
    rel = Path(*name.split("."))
    return (ROOT / rel.with_suffix(".py")).is_file() or (ROOT / rel / "__init__.py").is_file()


def imported_roots(path: Path) -> set[str]:
    return {name.split(".")[0] for name in imported_modules(path)}


def sources(*layers: str) -> Iterator[Path]:
    for layer in layers:
        yield from sorted((ROOT / layer).rglob("*.py"))


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_imports_follow_the_architecture(layer: str) -> None:
    files = list(sources(layer))
    assert files, f"{layer}/ has no sources"
    bad = {
        f"{p.relative_to(ROOT)} imports {name}"
        for p in files
        for name in imported_roots(p) & FORBIDDEN[layer]
    }
    assert not bad, sorted(bad)


def test_nothing_outside_ui_imports_ui() -> None:
    offenders = [
        str(p.relative_to(ROOT))
        for p in sources("agent", "drivers", "sync")
        if "ui" in imported_roots(p)
    ]
    assert offenders == []


def _within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def import_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for p in sources(*PACKAGES):
        ours = {n for n in imported_modules(p) if n.split(".")[0] in PACKAGES}
        graph[module_name(p)] = {n for n in ours if is_our_module(n)}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module, or a module importing itself."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1 or v in graph.get(v, ()):
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    """Every module ``start`` loads, directly or through others."""
    seen: set[str] = set()
    todo = [start]
    while todo:
        for nxt in graph.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def test_the_terminals_code_never_imports_the_reference_hq() -> None:
    """Not directly, and not through another module (lazy imports count)."""
    assert (ROOT / "sync" / "hq" / "__init__.py").is_file(), "the reference HQ has its own room"
    graph = import_graph()
    offenders = sorted(
        f"{module} loads {hq}"
        for module in graph
        if not _within(module, HQ) and not any(_within(module, a) for a in HQ_IMPORTERS)
        for hq in reachable(graph, module)
        if _within(hq, HQ)
    )
    assert offenders == []


def test_the_kassa_command_loads_no_hq_code_until_kassa_hq_runs() -> None:
    """The `kassa` command loads only the `kassa hq` argument parser (sync.hq.commands),
    which loads none of HQ's code itself: HQ's store, server and handlers come in only
    when `kassa hq` runs (a lazy import)."""
    cli = {n for n in imported_modules(ROOT / "ui" / "cli.py", lazy=False) if _within(n, HQ)}
    assert cli == {"sync.hq.commands"}
    parser = imported_modules(ROOT / "sync" / "hq" / "commands.py", lazy=False)
    assert not {n for n in parser if _within(n, HQ)}
    assert "sync.hq.admin" in imported_modules(ROOT / "sync" / "hq" / "commands.py")


def test_no_import_cycles_in_the_four_packages() -> None:
    assert cycles(import_graph()) == []


def test_the_pure_cores_tests_import_nothing_from_ui_or_sync() -> None:
    core_tests = [*sorted((ROOT / "tests" / "agent").rglob("*.py")), ROOT / "tests" / "conftest.py"]
    offenders = sorted(
        f"{p.relative_to(ROOT)} imports {name}"
        for p in core_tests
        for name in imported_modules(p)
        if name.split(".")[0] in ("ui", "sync") or name.startswith(("tests.ui", "tests.sync"))
    )
    assert offenders == []


def test_no_module_is_longer_than_a_reader_holds() -> None:
    long = {
        str(p.relative_to(ROOT)): n
        for p in sources(*PACKAGES)
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}


def test_the_checker_catches_a_forbidden_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import httpx\nfrom textual.app import App\n")
    assert imported_roots(bad) == {"httpx", "textual"}


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_relative_lazy_and_aliased_imports_are_seen(tmp_path: Path) -> None:
    pkg = ROOT / "ui" / "tools"  # a real package, so relative imports resolve inside it
    probe = pkg / "_probe_for_architecture_test.py"
    probe.write_text(
        "from . import measure\n"
        "import sync.client as hq_client\n"
        "def later() -> None:\n"
        "    from ..till import app\n"
    )
    try:
        names = imported_modules(probe)
        assert {"ui.tools.measure", "sync.client", "ui.till.app"} <= names
        assert "ui.till.app" not in imported_modules(probe, lazy=False)
    finally:
        probe.unlink()


def test_one_error_tree() -> None:
    """Every exception class kassa defines descends from KassaError (agent.errors)."""
    import importlib
    import inspect

    from agent.errors import KassaError

    strays = []
    for p in sources(*PACKAGES):
        name = module_name(p)
        if name.endswith("__main__"):
            continue
        module = importlib.import_module(name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ != name or not issubclass(cls, BaseException):
                continue
            if not issubclass(cls, KassaError):
                strays.append(f"{name}.{cls.__name__}")
    assert strays == []


SQLITE_ROOMS = {"agent.store.file", "sync.hq.store"}  # where sqlite3 is met and translated


def test_sqlite3_is_met_only_where_its_errors_are_translated() -> None:
    offenders = sorted(
        module_name(p)
        for p in sources(*PACKAGES)
        if "sqlite3" in imported_roots(p) and module_name(p) not in SQLITE_ROOMS
    )
    assert offenders == []


# HQ's PostgreSQL backend: psycopg is met in one module, which translates its errors into
# the store's own (sync.hq.pg.db_error), as sqlite3's are in agent.store.file.
PSYCOPG_ROOMS = {"sync.hq.pg"}


def test_psycopg_is_met_only_where_its_errors_are_translated() -> None:
    offenders = sorted(
        module_name(p)
        for p in sources(*PACKAGES)
        if "psycopg" in imported_roots(p) and module_name(p) not in PSYCOPG_ROOMS
    )
    assert offenders == []


def test_no_error_is_swallowed_wholesale() -> None:
    """`except Exception` only as a logged last resort of a thread that must go on."""
    allowed = {"sync.worker"}
    offenders = []
    for p in sources(*PACKAGES):
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            wholesale = isinstance(node, ast.ExceptHandler) and (
                node.type is None
                or (isinstance(node.type, ast.Name) and node.type.id == "Exception")
            )
            if wholesale and module_name(p) not in allowed:
                offenders.append(f"{module_name(p)}:{getattr(node, 'lineno', 0)}")
    assert offenders == []
