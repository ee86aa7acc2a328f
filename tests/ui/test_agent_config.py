"""`kassa agent`'s `[agent]` table: where it listens and each POS's token."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from starlette.testclient import TestClient

from agent.clock import FixedClock, SequentialIds
from agent.demo import demo_store
from agent.errors import ConfigError
from sync.client import HqClient
from tests.conftest import TUESDAY
from ui.api.app import create_app
from ui.api.checkout import AgentCheckout, Till
from ui.api.config import load_agent_config, parse_agent
from ui.api.service import _agents

TOKEN = "Zq3vR8kLm2Xw9Tb4Ny7Hc1"  # 22 characters, none repeated
OTHER = "pT5-wK8_sN2xQ7vM4bR9zL6hJ3cF1dA0"


def doc(**agent: object) -> dict[str, object]:
    return {"terminal_id": "T1", "agent": agent}


def test_each_pos_has_its_own_token(tmp_path: Path) -> None:
    (tmp_path / "tokens").write_text(f"# POS name, token\npos2 {OTHER}\n\n")
    cfg = parse_agent(doc(tokens={"pos1": TOKEN}, tokens_file="tokens", socket="a.sock"), tmp_path)
    assert cfg.pos_of(TOKEN) == "pos1" and cfg.pos_of(OTHER) == "pos2"
    assert cfg.pos_of("") is None and cfg.pos_of(TOKEN[:-1]) is None
    assert (cfg.port, cfg.socket) == (8710, tmp_path / "a.sock")


@pytest.mark.parametrize(
    ("agent", "says"),
    [
        ({}, "agent.tokens"),
        ({"tokens": {"pos1": "short"}}, "agent.tokens.pos1"),
        ({"tokens": {"pos1": "a" * 40}}, "agent.tokens.pos1"),  # long, and guessable
        ({"tokens": {"pos1": "abcd" * 10}}, "agent.tokens.pos1"),
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


def test_a_guessable_token_is_refused_saying_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"too guessable.*token_urlsafe"):
        parse_agent(doc(tokens={"pos1": "ab" * 20}), tmp_path)


def test_a_wrong_token_of_the_right_length_is_401(tmp_path: Path) -> None:
    """Tokens are compared (in constant time) with the configured ones, not only measured."""
    cfg = parse_agent(doc(tokens={"pos1": TOKEN}), tmp_path)
    store = demo_store(tmp_path / "t.db")
    try:
        till = Till(store, FixedClock(TUESDAY), SequentialIds("a"), "T1", "S")
        api = TestClient(create_app(AgentCheckout(till), cfg.pos_of))
        body = {"lines": [{"sku": "COFFEE", "qty": 1}]}
        wrong = TOKEN[::-1]  # the same length and characters, not the token
        assert len(wrong) == len(TOKEN) and wrong != TOKEN
        for token, status in ((wrong, 401), (TOKEN[:-1] + "x", 401), (TOKEN, 200)):
            r = api.post("/v1/calculate", json=body, headers={"Authorization": f"Bearer {token}"})
            assert r.status_code == status, r.text
    finally:
        store.close()


def test_the_agent_asks_hq_about_a_sale_within_the_card_lookups_timeout(tmp_path: Path) -> None:
    """One HQ client (no second one for the agent): its foreign-sale timeout is the
    shorter of [hq] foreign_timeout_s and lookup_timeout_s."""
    cfg = parse_agent(
        {"terminal_id": "T1", "hq": {"lookup_timeout_s": 0.5}, "agent": {"tokens": {"p": TOKEN}}},
        tmp_path,
    )
    assert cfg.terminal.hq.foreign_timeout_s == 2.0  # the cashier's wait
    assert _agents(cfg.terminal).hq.foreign_timeout_s == 0.5
    seen: list[object] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.extensions["timeout"]["read"])
        return httpx.Response(404, json={"error": "no such sale"})

    client = HqClient(
        "http://hq",
        "T1",
        "s",
        "00" * 32,
        foreign_timeout_s=0.25,
        transport=httpx.MockTransport(handler),
    )
    assert client.sale("T2", 7) is None and seen == [0.25]
