"""`kassa agent`'s `[agent]` table: where it listens and each POS's token."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.errors import ConfigError
from ui.api.config import load_agent_config, parse_agent

TOKEN = "a" * 22


def doc(**agent: object) -> dict[str, object]:
    return {"terminal_id": "T1", "agent": agent}


def test_each_pos_has_its_own_token(tmp_path: Path) -> None:
    (tmp_path / "tokens").write_text(f"# POS name, token\npos2 {'b' * 30}\n\n")
    cfg = parse_agent(doc(tokens={"pos1": TOKEN}, tokens_file="tokens", socket="a.sock"), tmp_path)
    assert cfg.pos_of(TOKEN) == "pos1" and cfg.pos_of("b" * 30) == "pos2"
    assert cfg.pos_of("") is None and cfg.pos_of(TOKEN[:-1]) is None
    assert (cfg.port, cfg.socket) == (8710, tmp_path / "a.sock")


@pytest.mark.parametrize(
    ("agent", "says"),
    [
        ({}, "agent.tokens"),
        ({"tokens": {"pos1": "short"}}, "agent.tokens.pos1"),
        ({"tokens": {"pos1": TOKEN}, "port": 0}, "agent.socket"),
        ({"tokens": {"pos1": TOKEN}, "port": 70000}, "agent.port"),
        ({"tokens": {"pos1": TOKEN}, "scanner": "yes"}, "agent.scanner"),
        ({"tokens": {"pos1": TOKEN}, "tokens_file": "missing"}, "agent.tokens_file"),
    ],
)
def test_a_bad_agent_table_is_refused_naming_the_key(
    tmp_path: Path, agent: dict[str, object], says: str
) -> None:
    with pytest.raises(ConfigError, match=says):
        parse_agent(doc(**agent), tmp_path)


def test_the_config_file_is_read(tmp_path: Path) -> None:
    path = tmp_path / "kassa.toml"
    path.write_text(f'terminal_id = "T9"\n[agent]\nport = 9001\ntokens = {{ till = "{TOKEN}" }}\n')
    cfg = load_agent_config(path)
    assert (cfg.terminal.terminal_id, cfg.port, cfg.tokens) == ("T9", 9001, (("till", TOKEN),))
