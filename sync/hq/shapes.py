"""Small readers of JSON shapes that name the path of what they refuse.

Each check takes a value and its path (``body.lines[2].qty``) and raises ValueError
(path, why) when the value is not of its shape; HQ answers or quarantines with both.
They bound what HQ reads before anything is applied: whole numbers within +-10^15
(below 2^53, so every JSON reader agrees on them), texts of a bounded length, times
in ISO 8601 with an offset, lists of a bounded length, and JSON nested no deeper than
:data:`MAX_JSON_DEPTH`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from agent.clock import parse_utc
from agent.money import MAX_WHOLE

Check = Callable[[object, str], None]

MAX_JSON_DEPTH = 16  # a sale's body is 4 deep, the request around it 3
MAX_TEXT = 512  # characters of an id, a name or a reason
MAX_ITEMS = 10_000  # lines of a sale, codes, awards ...
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_PAIR = re.compile(rb"\[\]|\{\}")


def refuse(path: str, why: str) -> ValueError:
    """The error a check raises: ``args`` are (path, why)."""
    return ValueError(path, why)


def too_deep(data: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether the JSON text ``data`` nests arrays and objects deeper than ``limit``.

    Linear and without recursion (the parser's own would raise RecursionError): the
    strings are cut out, then the innermost pairs of brackets, ``limit`` times over.
    """
    # Without its escaped backslashes and quotes, every quote opens or closes a string:
    # what is outside the strings are the even pieces between quotes.
    unescaped = data.replace(b"\\\\", b"").replace(b'\\"', b"")
    brackets = b"".join(unescaped.split(b'"')[::2]).translate(None, _NOT_BRACKETS)
    openers = re.compile(rb"[\[{]{%d,}" % (limit + 1))  # each one inside the one before
    if openers.search(brackets):
        return True
    for _ in range(limit):
        shorter = _PAIR.sub(b"", brackets)  # one level: "{[]}" leaves "{}"
        if shorter == brackets:  # nothing left, or unbalanced: the parser says what is wrong
            return False
        brackets = shorter
    return bool(brackets)


def whole(lo: int = -MAX_WHOLE, hi: int = MAX_WHOLE) -> Check:
    """A whole number (not a bool) from ``lo`` to ``hi``."""

    def check(value: object, path: str) -> None:
        if type(value) is int and lo <= value <= hi:
            return  # the common case, first
        if not isinstance(value, int) or isinstance(value, bool):
            raise refuse(path, "must be a whole number")
        if not lo <= value <= hi:
            raise refuse(path, f"must be from {lo} to {hi}")

    return check


def text(min_len: int = 0, max_len: int = MAX_TEXT, pattern: str | None = None) -> Check:
    """A string of ``min_len`` to ``max_len`` characters, matching ``pattern`` if given."""
    compiled = re.compile(pattern) if pattern else None

    def check(value: object, path: str) -> None:
        if type(value) is str and min_len <= len(value) <= max_len and compiled is None:
            return  # the common case, first
        if not isinstance(value, str):
            raise refuse(path, "must be a string")
        if not min_len <= len(value) <= max_len:
            raise refuse(path, f"must be {min_len} to {max_len} characters")
        if compiled is not None and not compiled.fullmatch(value):
            raise refuse(path, f"must match {pattern}")

    return check


def one_of(*allowed: str) -> Check:
    def check(value: object, path: str) -> None:
        if value not in allowed:
            raise refuse(path, f"must be one of {', '.join(allowed)}")

    return check


def time(value: object, path: str) -> None:
    """An ISO 8601 time with its offset."""
    if not isinstance(value, str) or len(value) > 64:
        raise refuse(path, "must be an ISO 8601 time with an offset")
    try:
        parse_utc(value)
    except ValueError:
        raise refuse(path, "must be an ISO 8601 time with an offset") from None


def flag(value: object, path: str) -> None:
    if not isinstance(value, bool):
        raise refuse(path, "must be true or false")


def nullable(inner: Check) -> Check:
    def check(value: object, path: str) -> None:
        if value is not None:
            inner(value, path)

    return check


def items(inner: Check, max_items: int = MAX_ITEMS) -> Check:
    """A list of at most ``max_items``, each ``inner``."""

    def check(value: object, path: str) -> None:
        if not isinstance(value, list):
            raise refuse(path, "must be a list")
        if len(value) > max_items:
            raise refuse(path, f"must hold at most {max_items} items")
        for i, x in enumerate(value):
            inner(x, f"{path}[{i}]")

    return check


def row(*columns: Check) -> Check:
    """A list of exactly these columns (a voided line's [sku, qty, amount_minor])."""

    def check(value: object, path: str) -> None:
        if not isinstance(value, list) or len(value) != len(columns):
            raise refuse(path, f"must be a list of {len(columns)}")
        for i, (x, c) in enumerate(zip(value, columns, strict=True)):
            c(x, f"{path}[{i}]")

    return check


def mapping(values: Check, max_items: int = MAX_ITEMS) -> Check:
    """An object of at most ``max_items`` keys (texts), each value ``values``."""
    key = text(1)

    def check(value: object, path: str) -> None:
        if not isinstance(value, dict):
            raise refuse(path, "must be an object")
        if len(value) > max_items:
            raise refuse(path, f"must hold at most {max_items} keys")
        for k, v in value.items():
            key(k, f"{path} key")
            values(v, f"{path}.{k}")

    return check


def obj(required: Mapping[str, Check], optional: Mapping[str, Check] | None = None) -> Check:
    """An object with every ``required`` field and, where present, the ``optional`` ones;
    other fields are kept as they came and not read."""

    def check(value: object, path: str) -> None:
        if not isinstance(value, dict):
            raise refuse(path, "must be an object")
        for name, c in required.items():
            if name not in value:
                raise refuse(f"{path}.{name}", "is missing")
            c(value[name], f"{path}.{name}")
        for name, c in (optional or {}).items():
            if name in value:
                c(value[name], f"{path}.{name}")

    return check


def checked(doc: Any, shape: Check, path: str) -> str | None:
    """Why ``doc`` is not of ``shape`` ("path: why"), or None when it is."""
    try:
        shape(doc, path)
    except ValueError as exc:
        where, why = exc.args if len(exc.args) == 2 else (path, str(exc))
        return f"{where}: {why}"
    return None
