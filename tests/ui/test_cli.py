"""The `kassa` command's documented surfaces: config, quote, verify."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from agent.demo import RULESET
from agent.errors import ConfigError
from agent.session import CheckoutSession
from tests.conftest import ROOT
from ui.config import load_config

RULESET_TZ = ZoneInfo(str(RULESET["timezone"]))


def kassa(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ui.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )


def test_the_documented_example_config_loads() -> None:
    cfg = load_config(ROOT / "packaging" / "kassa.example.toml")
    assert cfg.terminal_id == "T1" and cfg.scanner.terminator == b"\r"
    assert cfg.db_path == ROOT / "packaging" / "data" / "terminal.db"
    assert (cfg.scanner.parity, cfg.scanner.aim, cfg.tokens.lifetime_s) == ("N", False, 120)
    assert cfg.hq.max_skew_s == 120
    assert (cfg.camera.retry_share, cfg.camera.retry_s) == (0.25, 0.1)


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("store_name = 'x'", "missing terminal_id"),
        ("terminal_id = 'T1'\n[scanner]\nterminator = 'TAB'", "scanner.terminator"),
        ("terminal_id = 'T1'\n[scanner]\nparity = 'Q'", "scanner.parity"),
        ("terminal_id = 'T1'\n[printer]\nkind = 'pigeon'", "pigeon"),
        ("terminal_id = = 'T1'", "kassa.toml"),
        ("terminal_id = 'T1'\n[camera]\nretry_share = 1.5", "camera.retry_share"),
        ("terminal_id = 'T1'\n[camera]\nretry_s = 0", "camera.retry_s"),
    ],
)
def test_a_bad_config_is_refused_with_a_message(tmp_path: Path, toml: str, message: str) -> None:
    path = tmp_path / "kassa.toml"
    path.write_text(toml)
    with pytest.raises(ConfigError) as exc:
        load_config(path)
    assert message in exc.value.detail


def test_quote_prints_the_quote_as_json(tmp_path: Path) -> None:
    (tmp_path / "r.json").write_text(json.dumps(RULESET))
    (tmp_path / "b.json").write_text(
        json.dumps(
            {
                "lines": [
                    {"sku": "COFFEE", "unit_minor": 3990, "category": "coffee"},
                    {"sku": "MILK", "unit_minor": 450, "category": "dairy"},
                ]
            }
        )
    )
    (tmp_path / "c.json").write_text(json.dumps({"customer_id": "C1", "tier": "Bronze"}))
    out = kassa(
        "quote",
        "--ruleset",
        str(tmp_path / "r.json"),
        "--basket",
        str(tmp_path / "b.json"),
        "--customer",
        str(tmp_path / "c.json"),
        "--at",
        "2026-11-24T10:00:00+01:00",
    )
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["total_minor"] == 4440 and doc["points_earned"] == 44
    assert doc["awards"][0]["rule"] == "BASE"


def test_quote_refuses_a_malformed_ruleset_with_the_field(tmp_path: Path) -> None:
    (tmp_path / "r.json").write_text(json.dumps(dict(RULESET, currency=12)))
    (tmp_path / "b.json").write_text('{"lines": []}')
    out = kassa(
        "quote", "--ruleset", str(tmp_path / "r.json"), "--basket", str(tmp_path / "b.json")
    )
    assert out.returncode == 2
    assert "currency: must be text, got 12" in out.stderr


def test_verify_names_the_row_where_history_was_edited(session: CheckoutSession) -> None:
    for _ in range(3):
        session.enter("2900000000018")
        session.add("MILK")
        session.commit()
    db_path = Path(session.store.conn.execute("PRAGMA database_list").fetchone()[2])
    ok = kassa("verify", "--data-dir", str(db_path.parent))
    assert ok.returncode == 0 and "intact" in ok.stdout
    edit = sqlite3.connect(db_path)
    edit.execute("UPDATE journal SET body=replace(body, 'Milk', 'Mlik') WHERE seq=2")
    edit.commit()
    edit.close()
    bad = kassa("verify", "--data-dir", str(db_path.parent))
    assert bad.returncode == 1 and "seq 2" in bad.stdout


def test_quote_shows_what_the_offline_policy_leaves_to_spend(tmp_path: Path) -> None:
    (tmp_path / "r.json").write_text(json.dumps(RULESET))
    basket = {"lines": [{"sku": "COFFEE", "unit_minor": 3990, "qty": 3, "category": "coffee"}]}
    (tmp_path / "b.json").write_text(json.dumps(dict(basket, redeem_points=1000)))
    (tmp_path / "c.json").write_text(
        json.dumps({"customer_id": "C1", "tier": "Bronze", "balance": 5000})
    )
    (tmp_path / "u.json").write_text(json.dumps({"redeem_left": 700}))
    args = ["--ruleset", str(tmp_path / "r.json"), "--basket", str(tmp_path / "b.json")]
    args += ["--customer", str(tmp_path / "c.json"), "--usage", str(tmp_path / "u.json")]
    out = kassa("quote", *args, "--at", "2026-11-24T10:00:00+01:00")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["max_redeemable_points"] == 700 and doc["points_redeemed"] == 0
    assert "only 700 points may be spent here" in doc["spend_limit"]
    refusal = next(r for r in doc["refusals"] if r["rule"] == "PAY-WITH-POINTS")
    assert "offline limit" in refusal["reason"]


def test_token_issues_what_a_till_verifies(tmp_path: Path) -> None:
    from agent.clock import parse_utc
    from agent.tokens import PhoneToken, TokenPolicy, check_token, parse_token

    made = kassa("token", "--new-key", str(tmp_path / "app.key"))
    assert made.returncode == 0
    public = made.stdout.strip()
    at = "2026-11-24T10:00:00+01:00"
    out = kassa("token", "--key", str(tmp_path / "app.key"), "--customer", "C7", "--at", at)
    assert out.returncode == 0, out.stdout
    token = parse_token(out.stdout.strip())
    assert isinstance(token, PhoneToken) and token.customer_id == "C7"
    assert check_token(token, [public], parse_utc(at), TokenPolicy()) is None
    assert check_token(token, ["00" * 32], parse_utc(at), TokenPolicy()) is not None
    assert kassa("token", "--customer", "C7").returncode == 2  # no key: told what to give


def test_printer_test_page_reads_right_in_every_language(tmp_path: Path) -> None:
    from drivers.escpos_text import decode_escpos
    from drivers.printer import PrinterConfig, code_pages, printable
    from ui.commands.devices import TEST_LINES

    (tmp_path / "kassa.toml").write_text(
        "terminal_id = 'T1'\n[printer]\nkind = 'file'\ntarget = 'page.bin'\n"
    )
    out = kassa("printer", "test", "--config", str(tmp_path / "kassa.toml"))
    assert out.returncode == 0, out.stdout + out.stderr
    assert "unknown" in out.stdout  # a file printer cannot say how it is
    data = (tmp_path / "data" / "page.bin").read_bytes()
    decoded = decode_escpos(data, code_pages(PrinterConfig()), forgets_code_page=True)
    for lang, text in TEST_LINES:
        assert f"[{lang}] {printable(text)}" in decoded.text
    assert decoded.qr_codes == ["kassa printer test"]


def test_devices_lists_the_configured_printer_with_its_status(tmp_path: Path) -> None:
    (tmp_path / "kassa.toml").write_text(
        "terminal_id = 'T1'\n[printer]\nkind = 'serial'\ntarget = '/dev/no-such-printer'\n"
    )
    out = kassa("devices", "--json", "--config", str(tmp_path / "kassa.toml"))
    assert out.returncode == 0, out.stdout + out.stderr
    found = json.loads(out.stdout)
    assert isinstance(found["serial_ports"], list) and isinstance(found["cameras"], list)
    assert found["printer"]["status"] == "unknown"
    assert "cannot reach" in found["printer"]["detail"]


def test_run_refuses_a_config_every_user_can_read_when_it_holds_the_secret(
    tmp_path: Path,
) -> None:
    from ui.config import require_private

    path = tmp_path / "kassa.toml"
    path.write_text((ROOT / "packaging" / "kassa.example.toml").read_text(encoding="utf-8"))
    path.chmod(0o644)
    out = kassa("run", "--config", str(path))
    assert out.returncode == 2, out.stdout + out.stderr
    assert "chmod 600" in out.stderr and "secret" in out.stderr
    path.chmod(0o640)  # readable by the kassa group only: fine
    require_private(path, load_config(path))
    path.chmod(0o600)
    require_private(path, load_config(path))


def test_quote_shows_exclusions_claims_caps_and_refusals_with_reasons(tmp_path: Path) -> None:
    (tmp_path / "r.json").write_text(json.dumps(RULESET))
    lines = [
        {"sku": "COFFEE", "unit_minor": 3990, "qty": 2, "category": "coffee"},
        {"sku": "CIGS", "unit_minor": 1850, "category": "tobacco"},
    ]
    basket = {"lines": lines, "codes": ["PCT20"], "claims": {"FREECOFFEE": 2}}
    (tmp_path / "b.json").write_text(json.dumps(basket))
    (tmp_path / "c.json").write_text(
        json.dumps({"customer_id": "C1", "tier": "Bronze", "balance": 2000})
    )
    args = ["--ruleset", str(tmp_path / "r.json"), "--basket", str(tmp_path / "b.json")]
    out = kassa(
        "quote", *args, "--customer", str(tmp_path / "c.json"), "--at", "2026-11-24T10:00:00+01:00"
    )
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    free = next(d for d in doc["discounts"] if d["rule"] == "FREECOFFEE")
    assert (free["amount_minor"], free["points"]) == (3990, 1500)
    assert free["why"] == "1 free, taken for 1500 points on COFFEE"
    reasons = {r["rule"]: r["reason"] for r in doc["refusals"]}
    assert reasons["FREECOFFEE"] == "claim 2 needs 1500 points, 500 points left"
    assert reasons["PCT20"] == "needs 2500 points, the balance is 500"
    assert [ln["excluded"] for ln in doc["lines"]] == [
        None,
        "earns no points; takes no discount; cannot be paid with points (excluded)",
    ]
    assert doc["total_minor"] == 3990 + 1850 and doc["points_earned"] == 39
    assert doc["balance_after"] == 2000 - 1500 + 39


def test_quote_refuses_a_claim_count_below_one(tmp_path: Path) -> None:
    (tmp_path / "r.json").write_text(json.dumps(RULESET))
    (tmp_path / "b.json").write_text(json.dumps({"lines": [], "claims": {"FREECOFFEE": 0}}))
    out = kassa(
        "quote", "--ruleset", str(tmp_path / "r.json"), "--basket", str(tmp_path / "b.json")
    )
    assert out.returncode == 2 and "every claim count must be 1 or more" in out.stderr


def test_day_report_prints_takings_per_tender(session: CheckoutSession, tmp_path: Path) -> None:
    from agent.money import Money
    from agent.tendering import TenderStep

    session.add("COFFEE")
    TenderStep(session).cash(Money(5000, "PLN"))
    session.add("MILK")
    TenderStep(session).card()
    data = Path(session.store.conn.execute("PRAGMA database_list").fetchone()[2]).parent
    day = session.clock.now().astimezone(RULESET_TZ).strftime("%Y-%m-%d")
    out = kassa("day-report", "--data-dir", str(data), "--day", day, "--language", "pl")
    assert out.returncode == 0, out.stderr
    rows = {ln.split()[0]: ln for ln in out.stdout.splitlines() if ln.strip()}
    assert "39,90" in rows["Gotówka"] and "Karta" in rows and "Razem" in rows
    doc = json.loads(kassa("day-report", "--data-dir", str(data), "--day", day, "--json").stdout)
    assert doc["takings"] == {
        "cash": 3990,
        "card": 450,
    }  # MILK, 10 % off and doc["change_minor"] == 1010
    bad = kassa("day-report", "--data-dir", str(data), "--day", "Tuesday")
    assert bad.returncode != 0 and "--day" in bad.stderr
    missing = kassa("day-report", "--data-dir", str(tmp_path / "nothing"))
    assert missing.returncode == 2 and "no such folder" in missing.stderr
