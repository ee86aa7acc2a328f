"""python-escpos's printer profiles read once per machine, not once per process.

At import, ``escpos.capabilities`` parses its 1 MB ``capabilities.json`` with PyYAML
(0.3 s on a quiet machine, the larger part of the cashier app's start) and keeps the
result in a pickle, but in a new temporary folder per process unless
``ESCPOS_CAPABILITIES_PICKLE_DIR`` names one: the pickle is never found again and every
start leaves a folder behind in /tmp. :func:`prepare` names a kept folder and writes the
pickle itself, read with the json module (the file is JSON) and put in place atomically
so two processes starting at once never read half of one. Called before escpos is
imported (drivers/printer.py).
"""

from __future__ import annotations

import json
import os
import pickle
import platform
import tempfile
from importlib import resources
from pathlib import Path

VARIABLE = "ESCPOS_CAPABILITIES_PICKLE_DIR"


def cache_folder() -> Path:
    """``$XDG_CACHE_HOME/kassa/escpos``, by default under the user's ~/.cache."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "kassa" / "escpos"


def pickle_path(folder: Path) -> Path:
    """Where escpos looks for its pickle in ``folder`` (its own naming)."""
    return folder / f"{platform.python_version()}.capabilities.pickle"


def prepare() -> None:
    """Point escpos at a kept pickle of its profiles, writing it when missing or stale.

    Where no cache folder can be made (no home, a read-only system), escpos is left to
    read its file itself, as it does without kassa.
    """
    if VARIABLE in os.environ:
        return
    try:
        folder = cache_folder()
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        target = pickle_path(folder)
        with resources.as_file(resources.files("escpos") / "capabilities.json") as source:
            if not target.exists() or target.stat().st_mtime < source.stat().st_mtime:
                profiles = json.loads(source.read_text(encoding="utf-8"))
                fd, part = tempfile.mkstemp(dir=folder, suffix=".part")
                with os.fdopen(fd, "wb") as out:
                    pickle.dump(profiles, out, protocol=2)
                os.replace(part, target)
    except (OSError, RuntimeError, ValueError):  # RuntimeError: no home directory
        return
    os.environ[VARIABLE] = str(folder)
