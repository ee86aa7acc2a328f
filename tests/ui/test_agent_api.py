"""The agent API in process (Starlette's TestClient over the demo store): every call
drives the cashier app's own session, writes are idempotent by key, bad input is a 4xx
naming the field, and offline the API refuses what the till refuses, in the same words."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from agent.clock import FixedClock, SequentialIds
from agent.demo import demo_app_key, demo_store
from agent.errors import HqUnreachable, StoreRefused
from agent.events import Sale
from agent.foreign import ForeignSale
from agent.i18n import Texts
from agent.lockout import FIRST_WAIT_S, FREE_TRIES, PinGuard
from agent.model import OfflinePolicy
from agent.paid import Paid, TenderKind
from agent.pricing.engine import UNLISTED
from agent.session import CheckoutSession
from agent.staff import Role, new_cashier
from agent.store import Store
from agent.tokens import issue_token
from tests.conftest import TUESDAY
from ui.api.app import create_app
from ui.api.checkout import AgentCheckout, Till
from ui.api.client import AgentClient

TOKEN = "pos-one-token-abcdefghijklmnopqrstuvwxyz"
ANNA = "2900000000018"  # Bronze, 3,000 points
IOANA = "2900000000032"  # Gold, 12,000 points, RO
DAY_S = 24 * 3600


@pytest.fixture
def till(tmp_path: Path) -> tuple[Store, FixedClock]:
    return demo_store(tmp_path / "terminal.db"), FixedClock(TUESDAY)


@pytest.fixture
def api(till: tuple[Store, FixedClock]) -> TestClient:
    store, clock = till
    checkout = AgentCheckout(Till(store, clock, SequentialIds("api"), "T1", "Test store"))
    app = create_app(checkout, lambda token: "pos1" if token == TOKEN else None)
    return TestClient(app, headers={"Authorization": f"Bearer {TOKEN}"})


def coffee(qty: int = 2, **more: Any) -> dict[str, Any]:
    return {"lines": [{"sku": "COFFEE", "qty": qty, "unit_minor": 3990}], **more}


def sales(store: Store) -> int:
    return store.ledger.sales_count()


def test_every_call_needs_a_pos_token(api: TestClient) -> None:
    for bad in ({}, {"Authorization": "Bearer nope"}, {"Authorization": f"Basic {TOKEN}"}):
        r = api.post("/v1/calculate", json=coffee(), headers=bad | {"Authorization": ""} | bad)
        assert r.status_code == 401
        assert r.json()["field"] == "header.Authorization"
    assert api.get("/v1/health", headers={"Authorization": ""}).status_code == 200


def test_identify_gives_the_cashiers_panel_and_a_handle(api: TestClient) -> None:
    r = api.post("/v1/identify", json={"card": ANNA})
    assert r.status_code == 200
    doc = r.json()
    assert doc["identified"] and doc["identification"]
    assert (
        doc["customer"] | {"greeting": "Anna", "tier": "Bronze", "balance": 3000} == doc["customer"]
    )
    assert doc["customer"]["spendable"] == 3000 and doc["refusals"] == []
    typed = api.post("/v1/identify", json={"card": ANNA, "typed": True}).json()
    assert typed["customer"]["spendable"] == 0 and not typed["customer"]["confirmed"]
    assert "app" in typed["refusals"][0]["reason"]  # why points wait: the app's code
    phone = api.post(
        "/v1/identify",
        json={"phone": "+48 601 000 001"},
        headers={"Accept-Language": "pl-PL,pl;q=0.9"},
    )
    assert phone.json()["customer"]["greeting"] == "Anna"
    assert phone.json()["message"].startswith("Klient Anna")  # Accept-Language: Polish
    unknown = api.post("/v1/identify", json={"phone": "+48 601 999 999"}).json()
    assert not unknown["identified"] and unknown["refusals"][0]["about"] == "customer"


def test_a_phone_token_identifies_once(api: TestClient) -> None:
    token = issue_token("C1", demo_app_key("C1"), TUESDAY)
    first = api.post("/v1/identify", json={"token": token}).json()
    assert first["identified"] and first["customer"]["confirmed"]
    again = api.post("/v1/identify", json={"token": token, "lang": "ru"}).json()
    assert not again["identified"]
    ru = Texts("ru")("Phone code already used: ask the customer to refresh it")
    assert again["refusals"][0]["reason"] == ru


def test_calculate_is_a_dry_run_with_every_reason(
    api: TestClient, till: tuple[Store, FixedClock]
) -> None:
    store, _ = till
    handle = api.post("/v1/identify", json={"card": ANNA}).json()["identification"]
    body = coffee(
        2,
        customer={"identification": handle},
        codes=["AUTUMN15", "NOPE"],
        points="max",
        lang="pl",
    )
    body["lines"].append(
        {
            "barcode": "4006381333931",
            "qty": 1,
            "unit_minor": 450,
            "category": "bakery",
            "name": "Bread",
        }
    )
    r = api.post("/v1/calculate", json=body)
    assert r.status_code == 200, r.text
    doc = r.json()
    lines = {ln["sku"]: ln for ln in doc["lines"]}
    assert (
        lines["4006381333931"] | {"unit_minor": 450, "category": "bakery"} == lines["4006381333931"]
    )
    assert lines["COFFEE"]["discount_minor"] > 0 and doc["discounts"][0]["rule"] == "AUTUMN15"
    assert doc["points_redeemed"] == doc["max_redeemable_points"] > 0
    assert {"about": "codes[1]", "rule": None, "reason": "Nieznany kod NOPE"} in doc["refusals"]
    assert any(x["rule"] == "HAPPY3" for x in doc["refusals"])  # why a promotion did not apply
    assert sales(store) == 0 and store.ledger.outbox_stats().pending == 0  # nothing written


def test_a_catalogue_product_keeps_its_category_and_at_most_its_price(api: TestClient) -> None:
    doc = api.post(
        "/v1/calculate",
        json={
            "lines": [
                {"sku": "COFFEE", "qty": 1, "unit_minor": 9999, "category": "whatever"},
                {"sku": "MILK", "qty": 1, "unit_minor": 100},
                {"sku": "NO-SUCH", "qty": 1},
            ]
        },
    ).json()
    lines = {ln["sku"]: ln for ln in doc["lines"]}
    assert (lines["COFFEE"]["unit_minor"], lines["COFFEE"]["category"]) == (3990, "coffee")
    assert lines["MILK"]["unit_minor"] == 100  # the POS's lower price is what it charges
    assert doc["refusals"][0] == {
        "about": "lines[2]",
        "rule": None,
        "reason": "Unknown product NO-SUCH",
    }


def test_a_commit_is_once_per_key(api: TestClient, till: tuple[Store, FixedClock]) -> None:
    store, _ = till
    body = coffee(
        customer={"card": ANNA}, receipt_id="R-1", tenders=[{"kind": "cash", "amount_minor": 7980}]
    )
    first = api.post("/v1/sales", json=body, headers={"Idempotency-Key": "k-1"})
    assert first.status_code == 201, first.text
    again = api.post("/v1/sales", json=body, headers={"Idempotency-Key": "k-1"})
    assert again.status_code == 200
    assert again.json() == first.json() | {"replayed": True}
    assert sales(store) == 1
    other_body = api.post(
        "/v1/sales", json=dict(body, receipt_id="R-2"), headers={"Idempotency-Key": "k-1"}
    )
    assert other_body.status_code == 422
    assert other_body.json()["field"] == "header.Idempotency-Key"
    same_receipt = api.post("/v1/sales", json=body, headers={"Idempotency-Key": "k-2"})
    assert (same_receipt.status_code, same_receipt.json()["field"]) == (409, "body.receipt_id")
    no_key = api.post("/v1/sales", json=dict(body, receipt_id="R-3"))
    assert (no_key.status_code, no_key.json()["field"]) == (400, "header.Idempotency-Key")
    short = api.post(
        "/v1/sales",
        json=dict(body, receipt_id="R-4", tenders=[{"kind": "cash", "amount_minor": 1}]),
        headers={"Idempotency-Key": "k-4"},
    )
    assert (short.status_code, short.json()["field"]) == (409, "body.tenders")
    assert sales(store) == 1


def test_a_pos_sales_tenders_are_recorded_as_the_tills(
    api: TestClient, till: tuple[Store, FixedClock]
) -> None:
    """One code path: the POS's tenders land on the sale as the till's tender step
    writes them (cash, card, its own kinds under their name, the gift card from pricing)."""
    store, _ = till
    tenders = [
        {"kind": "cash", "amount_minor": 980},
        {"kind": "card", "amount_minor": 1000},
        {"kind": "voucher", "amount_minor": 1000},
    ]
    body = coffee(gift_card="GC0000000001", receipt_id="R-T", tenders=tenders)
    r = api.post("/v1/sales", json=body, headers={"Idempotency-Key": "k-t"})
    assert r.status_code == 201, r.text
    event = store.ledger.sale_event(r.json()["sale"]["seq"])
    assert event is not None and isinstance(event.record, Sale)
    assert event.record.tenders == (
        Paid(TenderKind.GIFT_CARD, 5000),
        Paid(TenderKind.CARD, 1000),
        Paid(TenderKind.OTHER, 1000, None, "voucher"),
        Paid(TenderKind.CASH, 980),
    )
    assert event.record.change_minor == 0
    over = [{"kind": "card", "amount_minor": 7980 - 5000 + 1}]
    r = api.post(
        "/v1/sales",
        json=coffee(gift_card="GC0000000001", receipt_id="R-U", tenders=over),
        headers={"Idempotency-Key": "k-u"},
    )
    assert (r.status_code, r.json()["field"]) == (409, "body.tenders")


def test_the_key_is_written_with_the_sale_or_not_at_all(
    api: TestClient, till: tuple[Store, FixedClock]
) -> None:
    """A sale the store refuses (its key row cannot be written) leaves neither behind."""
    store, _ = till
    store.conn.execute(
        "CREATE TRIGGER no_keys BEFORE INSERT ON pos_writes BEGIN SELECT RAISE(ABORT, 'no'); END"
    )
    r = api.post("/v1/sales", json=coffee(receipt_id="R-1"), headers={"Idempotency-Key": "k-1"})
    assert r.status_code >= 400
    assert sales(store) == 0 and store.ledger.outbox_stats().pending == 0
    with pytest.raises(StoreRefused):  # the trigger stays: nothing half-written got past it
        store.conn.execute("INSERT INTO pos_writes VALUES('a','b','c','sale','r',1,'{}')")


def test_return_cancel_and_the_loyalty_block(
    api: TestClient, till: tuple[Store, FixedClock]
) -> None:
    store, _ = till
    sold = api.post(
        "/v1/sales",
        json=coffee(3, customer={"card": IOANA}, receipt_id="R-1"),
        headers={"Idempotency-Key": "s-1"},
    ).json()
    block = api.get("/v1/sales/R-1/loyalty-block", params={"lang": "ro", "width": 32}).json()
    assert block["qr"] == sold["sale"]["number"] == "T1:1"
    assert all(len(line) <= 32 for line in block["lines"])
    assert any(line.startswith(Texts("ro")("Points earned")) for line in block["lines"])
    back = api.post(
        "/v1/sales/R-1/returns",
        json={"return_id": "RET-1", "lines": [{"sku": "COFFEE", "qty": 1}]},
        headers={"Idempotency-Key": "r-1"},
    )
    assert back.status_code == 201 and back.json()["lines"] == [
        {"sku": "COFFEE", "qty": 1, "money_minor": back.json()["money_back_minor"]}
    ]
    assert back.json()["points_taken_back"] > 0
    block = api.get("/v1/returns/RET-1/loyalty-block").json()
    assert block["qr"] is None and block["lines"]
    cancel = api.post("/v1/sales/R-1/cancel", json={}, headers={"Idempotency-Key": "c-1"})
    assert cancel.status_code == 201
    assert cancel.json()["lines"] == [
        {"sku": "COFFEE", "qty": 2, "money_minor": cancel.json()["money_back_minor"]}
    ]
    twice = api.post("/v1/sales/R-1/cancel", json={}, headers={"Idempotency-Key": "c-2"})
    assert twice.status_code == 200 and twice.json()["return"] == cancel.json()["return"]
    ioana = store.catalogue.customer_by_card(IOANA)
    assert ioana is not None and store.catalogue.balance(ioana, TUESDAY) == 12000  # as before
    missing = api.post("/v1/sales/R-9/cancel", json={}, headers={"Idempotency-Key": "c-3"})
    assert (missing.status_code, missing.json()["field"]) == (404, "path.receipt_id")


def test_a_cancel_needs_a_manager_where_the_till_has_staff(
    api: TestClient, till: tuple[Store, FixedClock]
) -> None:
    store, _ = till
    store.ledger.save_cashier(new_cashier("ola", "Ola", Role.CASHIER, "1111", salt=b"1" * 16))
    store.ledger.save_cashier(new_cashier("marek", "Marek", Role.MANAGER, "9999", salt=b"2" * 16))
    api.post(
        "/v1/sales",
        json=coffee(receipt_id="R-1", customer={"card": ANNA}),
        headers={"Idempotency-Key": "s-1"},
    )
    for manager, status in (
        (None, 403),
        ({"id": "ola", "pin": "1111"}, 403),
        ({"id": "marek", "pin": "0000"}, 403),
    ):
        body = {} if manager is None else {"manager": manager}
        r = api.post(
            "/v1/sales/R-1/cancel",
            json=body,
            headers={"Idempotency-Key": f"c-{status}-{len(body)}-{manager is None}"},
        )
        assert (r.status_code, r.json()["field"]) == (status, "body.manager")
    ok = api.post(
        "/v1/sales/R-1/cancel",
        json={"manager": {"id": "marek", "pin": "9999"}, "reason": "fiscal printer jammed"},
        headers={"Idempotency-Key": "c-ok"},
    )
    assert ok.status_code == 201, ok.text
    kinds = [k for (k,) in store.conn.execute("SELECT kind FROM journal ORDER BY seq")]
    assert kinds[-3:] == ["sale", "return", "audit"]  # the void beside its return
    void = store.conn.execute("SELECT body FROM journal WHERE kind='audit'").fetchone()[0]
    assert '"approved_by":"marek"' in void and '"action":"void"' in void


def test_offline_the_api_refuses_points_as_the_cashier_app_does(
    api: TestClient, till: tuple[Store, FixedClock]
) -> None:
    """HQ unheard of for longer than its policy allows: the stale cap (0 points) holds for
    the API as for the till, with the same reason in the same words."""
    store, clock = till
    store.catalogue.apply_snapshot(
        products=[],
        customers=[],
        ruleset=None,
        cursor="2",
        received_at=TUESDAY,
        policy=OfflinePolicy(daily_points=1000, stale_after_s=DAY_S, stale_daily_points=0),
    )
    clock.advance(hours=30)
    session = CheckoutSession(store, clock, SequentialIds("till"), "T1", "S")
    session.enter(IOANA)
    session.add("COFFEE", 3)
    till_says = session.pay_with_points(None)
    assert till_says.refused
    for lang in ("en", "pl", "ru"):
        doc = api.post(
            "/v1/calculate", json=coffee(3, customer={"card": IOANA}, points="max", lang=lang)
        ).json()
        assert {"about": "points", "rule": None, "reason": Texts(lang).say(till_says.words)} in doc[
            "refusals"
        ]
        assert doc["points_redeemed"] == 0
    asked = api.post("/v1/calculate", json=coffee(3, customer={"card": IOANA}, points=600)).json()
    assert asked["points_redeemed"] == 0 and asked["refusals"][0]["about"] == "points"
    sold = api.post(
        "/v1/sales",
        json=coffee(3, customer={"card": IOANA}, points=600, receipt_id="R-1"),
        headers={"Idempotency-Key": "k"},
    ).json()
    assert sold["points_redeemed"] == 0  # the sale goes on, without points


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"lines": []}, "body.lines"),
        ({"lines": [{"sku": "COFFEE", "qty": 1000}]}, "body.lines[0].qty"),
        ({"lines": [{"sku": "COFFEE", "barcode": "1"}]}, "body.lines[0]"),
        ({"lines": [{"sku": 5}]}, "body.lines[0].sku"),
        ({"lines": [{"sku": "COFFEE", "unit_minor": -1}]}, "body.lines[0].unit_minor"),
        ({"lines": [{"sku": "COFFEE"}], "points": -5}, "body.points"),
        ({"lines": [{"sku": "COFFEE"}], "points": True}, "body.points"),
        ({"lines": [{"sku": "COFFEE"}], "codes": [1]}, "body.codes[0]"),
        ({"lines": [{"sku": "COFFEE"}], "customer": {}}, "body.customer"),
        (
            {"lines": [{"sku": "COFFEE"}], "customer": {"identification": "x"}},
            "body.customer.identification",
        ),
        ({"lines": [{"sku": "COFFEE"}], "lang": "de"}, "body.lang"),
        ({"lines": "COFFEE"}, "body.lines"),
    ],
)
def test_bad_input_is_a_4xx_naming_the_field(
    api: TestClient, body: dict[str, Any], field: str
) -> None:
    r = api.post("/v1/calculate", json=body)
    assert 400 <= r.status_code < 500 and r.json()["field"] == field, r.text


def test_status_and_the_python_client(api: TestClient) -> None:
    client = AgentClient(TOKEN, "http://testserver", transport=api._transport)
    st = client.status()
    assert st.ok and st.doc["sync"] | {"state": "none", "pending": 0} == st.doc["sync"]
    assert st.doc["ruleset_version"] == 1
    handle = client.identify(card=ANNA).doc["identification"]
    sold = client.commit(coffee(customer={"identification": handle}), "R-1", "k-1")
    assert sold.status == 201 and sold.doc["customer_id"] == "C1"
    assert client.commit(coffee(customer={"identification": handle}), "R-1", "k-1").status == 200
    assert client.status().doc["sync"]["pending"] == 1


def test_the_same_checkout_code_serves_both(
    till: tuple[Store, FixedClock], api: TestClient, tmp_path: Path
) -> None:
    """A sale through the API is journalled byte for byte as the till journals the same
    sale on a twin store: the same session made it."""
    store, clock = till
    r = api.post(
        "/v1/sales",
        json=coffee(3, customer={"card": IOANA}, codes=["AUTUMN15"], points=1000, receipt_id="R-1"),
        headers={"Idempotency-Key": "k"},
    )
    assert r.status_code == 201 and r.json()["points_redeemed"] == 1000
    twin = demo_store(tmp_path / "twin.db")
    session = CheckoutSession(twin, clock, SequentialIds("api"), "T1", "Test store")
    session.enter(IOANA)
    session.add("COFFEE", 3)
    session.apply_code("AUTUMN15")
    session.pay_with_points(1000)
    session.commit()
    body = "SELECT body, hash FROM journal WHERE seq=1"
    assert store.conn.execute(body).fetchone() == twin.conn.execute(body).fetchone()
    twin.close()


class CountingHq:
    """HQ as a sale source that counts the questions and notes whether the checkout's
    lock was held while asked (it never should be: the POS's other calls wait on it)."""

    def __init__(self) -> None:
        self.checkout: AgentCheckout | None = None
        self.asked: list[tuple[str, int, bool]] = []

    def sale(self, terminal_id: str, seq: int) -> ForeignSale | None:
        assert self.checkout is not None
        self.asked.append((terminal_id, seq, self.checkout.lock.locked()))
        raise HqUnreachable("HQ is down")


def test_a_return_and_a_cancel_ask_hq_once_outside_the_lock(
    till: tuple[Store, FixedClock],
) -> None:
    store, clock = till
    hq = CountingHq()
    checkout = AgentCheckout(
        Till(store, clock, SequentialIds("api"), "T1", "Test store", sales_source=hq)
    )
    hq.checkout = checkout
    app = create_app(checkout, lambda token: "pos1" if token == TOKEN else None)
    api = TestClient(app, headers={"Authorization": f"Bearer {TOKEN}"})
    sold = api.post(
        "/v1/sales", json=coffee(3, receipt_id="R-1"), headers={"Idempotency-Key": "s-1"}
    )
    assert sold.status_code == 201 and hq.asked == []
    back = api.post(
        "/v1/sales/R-1/returns",
        json={"return_id": "RET-1", "lines": [{"sku": "COFFEE", "qty": 1}]},
        headers={"Idempotency-Key": "r-1"},
    )
    assert back.status_code == 201, back.text
    assert hq.asked == [("T1", 1, False)]  # once, unlocked
    cancel = api.post("/v1/sales/R-1/cancel", json={}, headers={"Idempotency-Key": "c-1"})
    assert cancel.status_code == 201, cancel.text
    assert hq.asked == [("T1", 1, False)] * 2
    assert cancel.json()["lines"] == [
        {"sku": "COFFEE", "qty": 2, "money_minor": cancel.json()["money_back_minor"]}
    ]


def test_a_return_answers_with_what_it_wrote_not_read_back(
    api: TestClient, till: tuple[Store, FixedClock], monkeypatch: pytest.MonkeyPatch
) -> None:
    store, _ = till
    api.post("/v1/sales", json=coffee(3, receipt_id="R-1"), headers={"Idempotency-Key": "s-1"})
    read: list[int] = []
    sale_event = store.ledger.sale_event

    def reading(seq: int) -> object:
        read.append(seq)
        return sale_event(seq)

    monkeypatch.setattr(store.ledger, "sale_event", reading)
    back = api.post(
        "/v1/sales/R-1/returns",
        json={"return_id": "RET-1", "lines": [{"sku": "COFFEE", "qty": 1}]},
        headers={"Idempotency-Key": "r-1"},
    )
    cancel = api.post("/v1/sales/R-1/cancel", json={}, headers={"Idempotency-Key": "c-1"})
    assert (back.status_code, cancel.status_code) == (201, 201)
    returns = {back.json()["return"]["seq"], cancel.json()["return"]["seq"]}
    assert returns == {2, 3} and not returns & set(read)  # the sale is read, no return
    again = api.post(  # a retry reads what was written (nothing else holds it then)
        "/v1/sales/R-1/returns",
        json={"return_id": "RET-1", "lines": [{"sku": "COFFEE", "qty": 1}]},
        headers={"Idempotency-Key": "r-1"},
    )
    assert again.status_code == 200
    assert {k: v for k, v in again.json().items() if k != "replayed"} == {
        k: v for k, v in back.json().items() if k != "replayed"
    }


def test_an_unlisted_line_is_sold_and_said_so_in_the_language_asked(
    api: TestClient, till: tuple[Store, FixedClock]
) -> None:
    store, _ = till
    local = {"sku": "LOCAL-BREAD", "qty": 2, "unit_minor": 2500, "category": "bakery"}
    basket = {"lines": [*coffee(1)["lines"], local], "customer": {"card": IOANA}}
    for lang in ("en", "pl", "ro", "ru"):
        doc = api.post("/v1/calculate", json=basket | {"lang": lang}).json()
        coffee_line, line = doc["lines"]
        assert line["unlisted"] is True and not coffee_line["unlisted"]
        assert (line["points_earned"], line["discount_minor"]) == (0, 0)
        assert line["money_minor"] == 5000 and line["excluded"] == Texts(lang).say(UNLISTED)
    assert Texts("pl").say(UNLISTED) != Texts("en").say(UNLISTED)
    sold = api.post(
        "/v1/sales", json=basket | {"receipt_id": "R-1"}, headers={"Idempotency-Key": "k"}
    )
    assert sold.status_code == 201
    assert sold.json()["total_minor"] == doc["total_minor"]
    event = store.ledger.sale_event(1)
    assert event is not None and isinstance(event.record, Sale)
    assert [ln.unlisted for ln in event.record.lines] == [False, True]


def test_a_cancel_counts_wrong_pins_and_locks_out_as_the_till_does(
    api: TestClient, till: tuple[Store, FixedClock]
) -> None:
    store, clock = till
    store.ledger.save_cashier(new_cashier("ola", "Ola", Role.CASHIER, "1111", salt=b"1" * 16))
    store.ledger.save_cashier(new_cashier("marek", "Marek", Role.MANAGER, "9999", salt=b"2" * 16))
    api.post("/v1/sales", json=coffee(receipt_id="R-1"), headers={"Idempotency-Key": "s-1"})

    def cancel(who: str, pin: str, key: str) -> tuple[int, str]:
        r = api.post(
            "/v1/sales/R-1/cancel",
            json={"manager": {"id": who, "pin": pin}},
            headers={"Idempotency-Key": key},
        )
        return r.status_code, r.json().get("error", "")

    assert cancel("ola", "1111", "a")[0] == 403  # a colleague's own PIN: not counted
    for n in range(FREE_TRIES):
        assert cancel("marek", "0000", f"w{n}")[0] == 403
    status, why = cancel("marek", "9999", "b")  # closed: not even the right PIN is read
    assert status == 429 and str(FIRST_WAIT_S) in why
    assert PinGuard(store, clock, SequentialIds("x"), "T1").failures() == FREE_TRIES
    clock.advance(seconds=FIRST_WAIT_S)
    assert cancel("marek", "9999", "c")[0] == 201


def test_the_identify_panel_reads_this_tills_counts_once(
    api: TestClient, till: tuple[Store, FixedClock], monkeypatch: pytest.MonkeyPatch
) -> None:
    store, _ = till
    reads: list[str] = []
    usage_for = store.ledger.usage_for

    def counted(*args: Any, **kw: Any) -> Any:
        reads.append(args[1])
        return usage_for(*args, **kw)

    monkeypatch.setattr(store.ledger, "usage_for", counted)
    assert api.post("/v1/identify", json={"card": IOANA}).json()["identified"]
    assert len(reads) == 1


def test_one_most_units_of_a_line_for_the_till_and_the_api() -> None:
    """MAX_QTY is defined once (agent.model): the session, the POS's lines and the API's
    body checks read that one."""
    root = Path(__file__).resolve().parents[2]
    found = []
    for pkg in ("agent", "ui", "sync", "drivers"):
        for path in (root / pkg).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                targets = node.targets if isinstance(node, ast.Assign) else []
                if any(isinstance(t, ast.Name) and t.id == "MAX_QTY" for t in targets):
                    found.append(path.relative_to(root).as_posix())
    assert found == ["agent/model.py"]
