"""escpos's printer profiles come from a kept pickle kassa writes, equal to escpos's own read."""

from __future__ import annotations

import os
import pickle
from importlib import resources
from pathlib import Path

import pytest
import yaml

from drivers import escpos_cache


def test_the_pickle_holds_what_escpos_itself_would_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(escpos_cache.VARIABLE, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    escpos_cache.prepare()
    folder = tmp_path / "kassa" / "escpos"
    assert os.environ[escpos_cache.VARIABLE] == str(folder)
    with escpos_cache.pickle_path(folder).open("rb") as f:
        kept = pickle.load(f)
    source = resources.files("escpos") / "capabilities.json"
    assert kept == yaml.safe_load(source.read_text(encoding="utf-8"))
    assert [p.name for p in folder.iterdir()] == [escpos_cache.pickle_path(folder).name]


def test_a_stale_pickle_is_written_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(escpos_cache.VARIABLE, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    folder = tmp_path / "kassa" / "escpos"
    folder.mkdir(parents=True)
    target = escpos_cache.pickle_path(folder)
    target.write_bytes(pickle.dumps({"profiles": {}}))
    os.utime(target, (0, 0))  # older than escpos's file
    escpos_cache.prepare()
    with target.open("rb") as f:
        assert "default" in pickle.load(f)["profiles"]


def test_no_cache_folder_leaves_escpos_to_read_its_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(escpos_cache.VARIABLE, raising=False)
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    escpos_cache.prepare()
    assert escpos_cache.VARIABLE not in os.environ
