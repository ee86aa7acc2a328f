"""HQ prices a batch's sales with the engine before the batch takes its turn to write
(:mod:`sync.hq.prepare`): every other writer waits for what a turn holds. What it
accepts and refuses is what it did when it priced them in the turn."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from agent.events import Sale
from agent.session import CheckoutSession
from agent.store import Store
from sync.hq import batch
from sync.hq import reprice as reprice_module
from sync.hq.bodies import Refusal, from_wire
from sync.hq.ingest import ingest
from sync.hq.prepare import prepare
from sync.hq.reprice_view import repriced
from sync.hq.store import HqStore
from tests.sync.chain import altered, rechain
from tests.sync.test_reprice import ANNA, AT, IVAN, hq, sell

__all__ = ["hq"]  # the fixture, shared


def wire(store: Store) -> list[dict[str, Any]]:
    return [e.to_wire() for e in store.ledger.pending_events(100)]


def test_a_batchs_sales_are_priced_before_its_turn_and_none_in_it(
    hq: HqStore, session: CheckoutSession, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    for who in (ANNA, IVAN, ANNA):
        sell(session, who, "COFFEE", "MILK")
    in_turn: list[bool] = []
    engine = reprice_module._again

    def watched(*args: Any) -> Sale:
        in_turn.append(bool(getattr(hq._revs, "open", False)))  # HqStore.transaction's
        return engine(*args)

    monkeypatch.setattr(reprice_module, "_again", watched)
    result = ingest(hq, "T1", wire(store), AT)
    assert [r.status for r in result.results] == ["stored"] * 3
    assert in_turn == [False, False, False]


def test_a_forged_sale_priced_before_the_turn_is_refused_as_in_it(
    hq: HqStore, session: CheckoutSession, store: Store
) -> None:
    sell(session, ANNA, "COFFEE")
    (genuine,) = wire(store)
    (forged,) = rechain([altered(genuine, lambda b: b.update(points_earned=10**6))])
    event = from_wire(forged["kind"], forged["body"], forged["seq"], "T1")
    assert not isinstance(event, Refusal)
    in_turn = repriced(hq, event)  # outside a batch: priced there and then
    assert in_turn is not None and "points_earned" in in_turn
    (result,) = ingest(hq, "T1", [forged], AT).results
    assert (result.status, result.reason) == ("quarantined", in_turn)


def test_only_the_very_record_read_before_the_turn_takes_its_pricing(
    hq: HqStore, session: CheckoutSession, store: Store
) -> None:
    sell(session, ANNA, "COFFEE")
    (ev,) = wire(store)
    ready = prepare(hq, "T1", [ev])
    (prepared,) = ready.values()
    sale = getattr(prepared.event, "record", None)
    assert isinstance(sale, Sale) and prepared.ours == sale  # genuine: HQ's own figures
    with batch.during(hq, ready) as now:
        assert now.priced_as(sale) is prepared.ours
        assert now.priced_as(copy.copy(sale)) is None  # equal, but not the one read


def test_events_hq_acknowledged_already_are_not_priced_again(
    hq: HqStore, session: CheckoutSession, store: Store
) -> None:
    sell(session, ANNA, "COFFEE")
    first = wire(store)
    ingest(hq, "T1", first, AT)
    sell(session, IVAN, "MILK")
    both = wire(store)
    assert [seq for seq, _ in prepare(hq, "T1", both)] == [2]


def test_an_ingest_without_the_repricing_check_runs_no_engine(
    hq: HqStore, session: CheckoutSession, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    sell(session, ANNA, "COFFEE")
    calls: list[object] = []
    monkeypatch.setattr(reprice_module, "_again", lambda *args: calls.append(args))
    (result,) = ingest(hq, "T1", wire(store), AT, checks=()).results
    assert result.status == "stored" and calls == []  # the bench's unchecked baseline
