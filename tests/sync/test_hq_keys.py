"""HQ's keys are made once, whole: threads (and HQ workers) asking for a key that is not
there yet all read the same key, never a file half written."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from sync.hq.keys import load_or_create, seal_key

ASKERS = 8


@pytest.mark.parametrize("round_", range(10))
def test_threads_making_hqs_keys_at_once_all_read_the_same_whole_key(
    tmp_path: Path, round_: int
) -> None:
    db = tmp_path / "hq.db"
    start = threading.Barrier(ASKERS)
    seals: list[bytes] = []
    signing: list[bytes] = []

    def ask() -> None:
        start.wait()
        seals.append(seal_key(db))
        signing.append(load_or_create(db))

    threads = [threading.Thread(target=ask) for _ in range(ASKERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(seals) == len(signing) == ASKERS
    assert len(set(seals)) == 1 and len(seals[0]) == 32
    assert len(set(signing)) == 1 and len(signing[0]) == 32
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hq.db.key", "hq.db.pub", "hq.db.seal"]
    assert (tmp_path / "hq.db.seal").stat().st_mode & 0o777 == 0o600
