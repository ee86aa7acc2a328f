"""Cashier flows with Pilot: signing in, locking, languages, a manager-approved void."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Static

from agent.model import Scan, Symbology
from tests.conftest import TUESDAY
from tests.ui.test_checkout_app import text_of
from tests.ui.till import CASHIER_PIN, MANAGER_PIN, till
from ui.till.app import CheckoutApp, CodeScanned
from ui.till.screens import PinScreen

ANNA = "2900000000018"


async def type_in(pilot: Pilot[None], text: str) -> None:
    await pilot.press(*text, "enter")
    await pilot.pause()


def pin_error(app: CheckoutApp) -> str:
    return str(app.screen.query_one("#pin-error", Static).content)


def test_sign_in_with_a_pin_and_lock_again(tmp_path: Path) -> None:
    app = till(tmp_path)

    async def flow() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            assert isinstance(app.screen, PinScreen)  # a till with staff opens locked
            app.post_message(CodeScanned(Scan(Symbology.EAN13, ANNA, "scanner", TUESDAY)))
            await pilot.pause()
            assert app.session.customer is None  # a scan does nothing on a locked till
            await type_in(pilot, "0000")
            assert isinstance(app.screen, PinScreen) and pin_error(app) == "Wrong PIN"
            await type_in(pilot, CASHIER_PIN)
            assert not isinstance(app.screen, PinScreen)
            assert text_of(app, "#message") == "Signed in: Ola (cashier)"
            assert "Ola" in text_of(app, "#status")
            await type_in(pilot, ANNA)  # the till works once signed in
            assert "Anna" in text_of(app, "#customer")
            await pilot.press("f12")
            await pilot.pause()
            assert isinstance(app.screen, PinScreen) and app.cashier is None
            await pilot.press("escape")  # locked means locked: Esc does not get out
            await pilot.pause()
            assert isinstance(app.screen, PinScreen)
            await type_in(pilot, MANAGER_PIN)
            assert text_of(app, "#message") == "Signed in: Marek (manager)"

    asyncio.run(flow())


def test_the_screens_speak_the_cashiers_language(tmp_path: Path) -> None:
    app = till(tmp_path, staff=False)

    async def flow() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            await type_in(pilot, ANNA)
            await type_in(pilot, "COFFEE")
            assert "Total PLN39.90" in text_of(app, "#totals")
            await pilot.press("f9")  # English -> Russian
            await pilot.pause()
            assert text_of(app, "#message") == "Язык: Русский"
            assert "Итого 39,90\u00a0PLN" in text_of(app, "#totals")
            assert "Баланс: 3000 баллов" in text_of(app, "#customer")
            await pilot.press("f9")  # -> Polish: złoty as Poles write it
            await pilot.pause()
            assert "Razem 39,90\u00a0zł" in text_of(app, "#totals")
            await pilot.press("f9")  # -> Romanian
            await pilot.pause()
            assert "Puncte pentru vânzare: 39" in text_of(app, "#totals")

    asyncio.run(flow())


def test_a_void_needs_a_manager_and_is_audited(tmp_path: Path) -> None:
    app = till(tmp_path)

    async def flow() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            await type_in(pilot, CASHIER_PIN)
            await type_in(pilot, ANNA)
            await type_in(pilot, "2*MILK")
            await pilot.press("f4")
            await pilot.pause()
            assert isinstance(app.screen, PinScreen)
            await type_in(pilot, CASHIER_PIN)  # a cashier cannot approve it
            assert pin_error(app) == "Not a manager's PIN"
            await pilot.press("escape")  # changed her mind: the sale stays
            await pilot.pause()
            assert text_of(app, "#message") == "Void cancelled"
            assert app.session.basket.lines
            await pilot.press("f4")
            await pilot.pause()
            await type_in(pilot, MANAGER_PIN)
            assert text_of(app, "#message") == "New sale" and not app.session.basket.lines

    asyncio.run(flow())
    store = app.services.store
    store_path = app.services.config.db_path
    from agent.store import Store

    s = Store.open(store_path)
    try:
        rows = s.conn.execute("SELECT kind, body FROM journal").fetchall()
        assert [k for k, _ in rows] == ["audit"]
        body = json.loads(rows[0][1])
        assert (body["action"], body["cashier"], body["approved_by"]) == ("void", "ola", "marek")
        assert body["customer"] == "C1" and body["lines"] == [["MILK", 2, 900]]
        assert (
            s.ledger.outbox_stats().pending == 1 and s.ledger.verify() is None
        )  # on its way to HQ
        assert store is not None
    finally:
        s.close()


def test_pins_are_kept_as_salted_hashes_only(tmp_path: Path) -> None:
    app = till(tmp_path)
    cashiers = app.services.store.ledger.cashiers()
    assert {c.name for c in cashiers} == {"Ola", "Marek"}
    assert all(c.pin_hash not in (CASHIER_PIN, MANAGER_PIN) for c in cashiers)
    app.services.store.close()
    raw = (tmp_path / "terminal.db").read_bytes()
    assert CASHIER_PIN.encode() not in raw.replace(b"2900000001111", b"")


def test_a_manual_point_adjustment_needs_a_manager_and_a_reason_and_reaches_hq(
    tmp_path: Path,
) -> None:
    app = till(tmp_path)

    async def flow() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            await type_in(pilot, CASHIER_PIN)
            await pilot.press("f7")  # nobody identified yet
            await pilot.pause()
            assert text_of(app, "#message") == "Identify the customer first"
            await type_in(pilot, ANNA)
            await pilot.press("f7")
            await pilot.pause()
            await type_in(pilot, MANAGER_PIN)
            app.post_message(CodeScanned(Scan(Symbology.EAN13, "MILK", "scanner", TUESDAY)))
            await pilot.pause()
            assert not app.session.basket.lines  # a scan does not sell behind the manager's form
            await type_in(pilot, "+500")
            await type_in(pilot, "")  # no reason: refused on the form
            assert "a reason" in str(app.screen.query_one("#adjust-error", Static).content)
            await type_in(pilot, "goodwill: a broken jar")
            assert text_of(app, "#message") == "+500 points for Anna: balance 3500"
            assert "Balance: 3500 points" in text_of(app, "#customer")

    asyncio.run(flow())
    from agent.store import Store
    from sync.hq.ingest import ingest
    from sync.hq.report import report
    from sync.hq.seed import seed_demo
    from sync.hq.snapshot import snapshot
    from sync.hq.store import HqStore

    s = Store.open(app.services.config.db_path)
    hq = HqStore(tmp_path / "hq.db")
    seed_demo(hq)
    try:
        (body,) = [json.loads(b) for (b,) in s.conn.execute("SELECT body FROM journal")]
        assert (body["action"], body["approved_by"], body["points"]) == (
            "adjust_points",
            "marek",
            500,
        )
        assert body["reason"] == "goodwill: a broken jar" and body["cashier"] == "ola"
        result = ingest(
            hq, "T1", [e.to_wire() for e in s.ledger.pending_events(10)], "2026-11-24T09:00:00Z"
        )
        assert [r.status for r in result.results] == ["stored"]
        summary = report(hq)
        assert summary["terminals"]["T1"]["audit_events"] == 1
        assert summary["terminals"]["T1"]["sales"] == 0
        anna = next(c for c in snapshot(hq, "T1", 0, 0)["customers"] if c["customer_id"] == "C1")
        assert anna["balance"] == 3500
    finally:
        s.close()


def test_a_typed_number_identifies_but_points_wait_for_the_app_code(tmp_path: Path) -> None:
    from agent.demo import demo_app_key
    from agent.tokens import issue_token

    app = till(tmp_path, staff=False, typed_check=True)

    async def type_slowly(pilot: Pilot[None], text: str) -> None:
        for ch in text:  # a person at the keyboard: a tenth of a second a key
            await pilot.press(ch)
            await pilot.pause(0.05)
        await pilot.press("enter")
        await pilot.pause()

    async def flow() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            await type_slowly(pilot, "+40 721 000 003")  # Ioana's phone
            assert "Ioana" in text_of(app, "#customer")
            assert "scan the code in the customer's app" in text_of(app, "#message")
            await type_in(pilot, "COFFEE")
            await pilot.press("f2")
            await pilot.pause()
            assert "Identified by a typed number" in text_of(app, "#message")
            assert app.session.redeem_points == 0
            token = issue_token("C3", demo_app_key("C3"), TUESDAY)
            app.post_message(CodeScanned(Scan(Symbology.QR, token, "camera", TUESDAY)))
            await pilot.pause()
            await pilot.press("f2")  # confirmed by her app: now points may pay
            await pilot.pause()
            assert app.session.redeem_points > 0

    asyncio.run(flow())


def test_a_phone_number_pasted_or_typed_fast_identifies_as_typed(tmp_path: Path) -> None:
    from textual import events
    from textual.keys import _character_to_key

    from ui.till.entry import EntryInput

    app = till(tmp_path, staff=False, typed_check=True)

    async def burst(pilot: Pilot[None], text: str) -> None:
        entry = app.query_one("#entry", EntryInput)
        for ch in text:  # all at once, as a paste or a scanner-fast typist delivers them
            entry.post_message(events.Key(_character_to_key(ch), ch))
        entry.post_message(events.Key("enter", "\r"))
        await pilot.pause()

    async def flow() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            await burst(pilot, "+48 601 000 001")  # Anna's phone
            assert "Anna" in text_of(app, "#customer")
            assert "scan the code in the customer's app" in text_of(app, "#message")
            assert not app.session.confirmed  # a typed number: points wait for the app
            await burst(pilot, "+48601000001")
            assert "Anna" in text_of(app, "#customer")

    asyncio.run(flow())


def test_the_entry_tells_a_person_from_a_scanner() -> None:
    from ui.till.entry import EntryInput

    entry = EntryInput()
    entry._key_times = [0.0, 0.004, 0.009, 0.012]  # a wedge scanner: milliseconds a key
    assert not entry.take_typed_by_hand()
    entry._key_times = [0.0, 0.18, 0.31, 0.52]  # a person
    assert entry.take_typed_by_hand()
    assert entry.take_typed_by_hand()  # nothing keyed (pasted): treated as typed


def test_high_contrast_from_the_config_and_ctrl_t(tmp_path: Path) -> None:
    app = till(tmp_path, staff=False, high_contrast=True)

    async def flow() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            assert app.theme == "kassa-high-contrast"
            assert app.current_theme.background == "#000000"
            await pilot.press("ctrl+t")
            await pilot.pause()
            assert app.theme == "textual-dark"
            await pilot.press("ctrl+t")
            await pilot.pause()
            assert app.theme == "kassa-high-contrast"

    asyncio.run(flow())


def test_the_sessions_messages_speak_the_cashiers_language_too(tmp_path: Path) -> None:
    app = till(tmp_path, staff=False, language="pl")

    async def flow() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            await type_in(pilot, "NOSUCH")
            assert text_of(app, "#message") == "Nieznany towar NOSUCH"
            await type_in(pilot, ANNA)
            assert text_of(app, "#message") == "Klient Anna (Bronze), saldo 3000 pkt"
            await pilot.press("f9")  # -> Romanian; a refusal with the engine's reason in it
            await type_in(pilot, "AUTUMN15")
            refusal = "AUTUMN15 refuzat: încă nimic din coș la care să se aplice"
            assert text_of(app, "#message") == refusal  # the engine's reason translated too

    asyncio.run(flow())


def test_a_manager_lifts_the_points_limit_with_f11(tmp_path: Path) -> None:
    from agent.model import OfflinePolicy

    app = till(tmp_path)
    app.services.store.catalogue.apply_snapshot(
        products=[],
        customers=[],
        ruleset=None,
        cursor="3",
        received_at=TUESDAY,
        policy=OfflinePolicy(1000, 7 * 86400, 0, typed_check=False, manager_lift=True),
    )

    async def flow() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            await type_in(pilot, CASHIER_PIN)
            await type_in(pilot, "2900000000032")  # Ioana: 12,000 points
            await type_in(pilot, "3*COFFEE")
            await pilot.press("f2")
            await pilot.pause()
            assert app.session.redeem_points == 1000  # the offline cap
            await pilot.press("f11")
            await pilot.pause()
            await type_in(pilot, MANAGER_PIN)
            assert text_of(app, "#message") == "Points limit lifted for this sale by marek"
            await pilot.press("f2")
            await pilot.pause()
            assert app.session.redeem_points == 5386  # half the sale, as the programme allows

    asyncio.run(flow())


@pytest.mark.parametrize("language", ["en", "ru", "pl", "ro"])
def test_every_key_is_on_the_key_bar_at_80x24(tmp_path: Path, language: str) -> None:
    app = till(tmp_path, language=language, staff=False)

    async def flow() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            rows = text_of(app, "#keys").splitlines()
            assert len(rows) <= 4 and all(len(row) <= 78 for row in rows)  # 4 since issue 18
            assert app.query_one("#keys").size.height == len(rows)  # no row cut off
            for key, _, label in CheckoutApp.BINDING_TEXTS:
                item = f"{key.replace('ctrl+', '^').upper()} {app.t(label)}"
                assert any(item in row for row in rows), item  # a key and its label together

    asyncio.run(flow())
