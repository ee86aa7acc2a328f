"""The import direction is the law: agent <- drivers, sync <- ui. Nothing imports ui."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
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


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_imports_follow_the_architecture(layer: str) -> None:
    files = sorted((ROOT / layer).rglob("*.py"))
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
        for layer in ("agent", "drivers", "sync")
        for p in (ROOT / layer).rglob("*.py")
        if "ui" in imported_roots(p)
    ]
    assert offenders == []


def test_the_checker_catches_a_forbidden_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import httpx\nfrom textual.app import App\nfrom . import sibling\n")
    assert imported_roots(bad) == {"httpx", "textual"}
