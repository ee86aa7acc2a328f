"""`kassa verify`: check a terminal's journal (seq continuity and hash chain)."""

from __future__ import annotations

from pathlib import Path

from agent.errors import NotADatabase
from agent.store import Store


def verify_dir(data_dir: Path) -> str | None:
    """Return None if the journal at ``data_dir`` is intact, else where it breaks.

    Raises NotADatabase when ``data_dir`` holds no terminal's store.
    """
    if not data_dir.is_dir():
        raise NotADatabase(f"{data_dir}: no such folder")
    store = Store.open_existing(data_dir / "terminal.db")
    try:
        broken = store.ledger.verify()
    finally:
        store.close()
    return None if broken is None else f"seq {broken.seq}: {broken.reason}"
