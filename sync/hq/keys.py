"""HQ's signing key on disk: created once beside the HQ database, private half mode 0600."""

from __future__ import annotations

import os
from pathlib import Path

from agent.signing import new_private_key, public_key_hex


def key_paths(db_path: str | Path) -> tuple[Path, Path]:
    """Return (private key file, public key file) for the HQ database at ``db_path``."""
    return Path(f"{db_path}.key"), Path(f"{db_path}.pub")


def load_or_create(db_path: str | Path) -> bytes:
    """Return HQ's private key, creating it (and the .pub file terminals need) if missing."""
    private_path, public_path = key_paths(db_path)
    if not private_path.exists():
        key = new_private_key()
        fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(key)
    key = private_path.read_bytes()
    public_path.write_text(public_key_hex(key) + "\n", encoding="ascii")
    return key
