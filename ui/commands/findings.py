"""What `kassa doctor` found: one finding per check, in plain words, with what to do."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


class Level(enum.Enum):
    OK = "ok"
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class Finding:
    """One check's result: ``says`` what was found, ``todo`` what to do about it."""

    check: str
    level: Level
    says: str
    todo: str = ""

    def to_doc(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "level": self.level.value,
            "says": self.says,
            "todo": self.todo,
        }


def ok(check: str, says: str) -> Finding:
    return Finding(check, Level.OK, says)


def warning(check: str, says: str, todo: str) -> Finding:
    return Finding(check, Level.WARNING, says, todo)


def error(check: str, says: str, todo: str) -> Finding:
    return Finding(check, Level.ERROR, says, todo)


def exit_status(findings: Iterable[Finding]) -> int:
    """0 when every check is ok, 1 when the worst is a warning, 2 for any error."""
    levels = {f.level for f in findings}
    return 2 if Level.ERROR in levels else 1 if Level.WARNING in levels else 0


def render(findings: list[Finding]) -> str:
    """The findings as text for the technician: one line each, what to do indented below."""
    out = []
    for f in findings:
        out.append(f"{f.level.value.upper():8} {f.check:12} {f.says}")
        if f.todo:
            out.append(f"{'':21}-> {f.todo}")
    worst = {0: "all ok", 1: "warnings", 2: "errors"}[exit_status(findings)]
    out.append(f"kassa doctor: {worst}")
    return "\n".join(out)
