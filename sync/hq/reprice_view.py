"""What HQ knows that bears on re-pricing one event (:class:`sync.hq.reprice.HqView`),
read from HQ's store inside the ingest's transaction: the ruleset of the version the
sale names, its products, its customer and gift card, the offline policy; for a
return, the original sale and the returns of it HQ applied before."""

from __future__ import annotations

import json
from datetime import date
from functools import lru_cache
from weakref import WeakKeyDictionary

from agent.events import JournalEvent, Return, Sale, read_event
from agent.foreign_desk import FOREIGN_OFFLINE
from agent.model import OfflinePolicy
from agent.ruleset import Ruleset
from agent.ruleset_reader import parse_ruleset
from sync.hq import batch
from sync.hq.history import past_states
from sync.hq.reprice import HqCustomer, HqGiftCard, HqProduct, HqView, reprice
from sync.hq.sales import money_only, return_bodies, sale_body
from sync.hq.store import HqStore


def repriced(store: HqStore, event: JournalEvent) -> str | None:
    """Why HQ, pricing the sale or return ``event`` again, refuses it (its problems, one
    a clause), or None: then the event's figures are HQ's own. Other kinds: None.

    The ingest's one call, inside its transaction and before it applies the event."""
    record = event.record
    if not isinstance(record, Sale | Return):
        return None
    view = view_of(store, event.terminal_id, record)
    if isinstance(record, Return) and FOREIGN_OFFLINE in record.flags:
        found = money_only(record, view)  # a manager's, the till unable to ask HQ
    else:
        now = batch.of(store)  # priced before the turn (sync.hq.prepare), if it was
        ours = now.priced_as(record) if now is not None and isinstance(record, Sale) else None
        found = reprice(record, view, ours)
    return "; ".join(str(p) for p in found) or None


# Each store's published programmes by version, parsed once: a version is inserted once
# (its primary key) and never changed (HqStore.publish_ruleset), so it is read once too.
_PUBLISHED: WeakKeyDictionary[HqStore, dict[int, Ruleset | None]] = WeakKeyDictionary()


def published(store: HqStore, version: int) -> Ruleset | None:
    """The programme ``store`` published as ``version``, or None if it never did."""
    known = _PUBLISHED.get(store)
    if known is None:
        known = _PUBLISHED[store] = {}
    elif version in known:
        return known[version]
    row = store.conn.execute(
        "SELECT document FROM hq_rulesets WHERE version=?", (version,)
    ).fetchone()
    if row is None:
        return None  # not remembered: HQ may publish it later
    known[version] = parse_ruleset(json.loads(row[0]))
    return known[version]


@lru_cache(maxsize=4096)
def _product(doc_text: str) -> HqProduct:
    """A product as HQ keeps it (its document), read once per document."""
    doc = json.loads(doc_text)
    was = doc.get("previous_price_minor")
    return HqProduct(str(doc["category"]), int(doc["price_minor"]), was)


@lru_cache(maxsize=8)
def _policy_of(text: str) -> OfflinePolicy:
    return OfflinePolicy.from_doc(json.loads(text))


def _policy(store: HqStore) -> OfflinePolicy:
    """HQ's offline policy (:meth:`HqStore.policy`), its document parsed once (and read
    once an ingest batch)."""
    now = batch.of(store)
    if now is not None and now.policy is not None:
        return now.policy
    row = store.conn.execute("SELECT value FROM hq_meta WHERE key='offline_policy'").fetchone()
    policy = OfflinePolicy() if row is None else _policy_of(row[0])
    if now is not None:
        now.policy = policy
    return policy


def _products(store: HqStore, skus: set[str]) -> dict[str, HqProduct]:
    """The products of ``skus`` HQ knows (each read once an ingest batch)."""
    now = batch.of(store)
    known = now.products if now is not None else {}
    wanted = sorted(skus - known.keys())
    if wanted:
        found: dict[str, str | None] = dict.fromkeys(wanted)
        found.update(
            store.conn.execute(
                f"SELECT sku, doc FROM hq_products WHERE sku IN ({','.join('?' * len(wanted))})",
                wanted,
            )
        )
        known.update(found)
    return {sku: _product(text) for sku in skus if (text := known[sku]) is not None}


def view_of(store: HqStore, terminal_id: str, record: Sale | Return) -> HqView:
    """HQ's view for re-pricing ``record``, an event of ``terminal_id``."""
    c = store.conn
    if isinstance(record, Return):
        original, earlier = _original(store, terminal_id, record)
        return HqView(None, {}, None, None, _policy(store), original, earlier)
    products = _products(store, {ln.sku for ln in record.lines if not ln.unlisted})
    card = None
    if record.gift_card is not None:
        got = c.execute(
            "SELECT balance_minor, currency FROM hq_gift_cards WHERE card=?",
            (record.gift_card[0],),
        ).fetchone()
        card = None if got is None else HqGiftCard(int(got[0]), str(got[1]))
    return HqView(
        ruleset=published(store, record.ruleset_version),
        products=products,
        customer=_customer(store, terminal_id, record.customer_id),
        gift_card=card,
        policy=_policy(store),
    )


def _customer(store: HqStore, terminal_id: str, cid: str | None) -> HqCustomer | None:
    if cid is None:
        return None
    row = store.conn.execute(
        "SELECT c.doc, c.balance, COALESCE(a.points, 0) FROM hq_customers c "
        "LEFT JOIN hq_allowances a ON a.customer_id=c.customer_id AND a.terminal_id=? "
        "WHERE c.customer_id=?",
        (terminal_id, cid),
    ).fetchone()
    if row is None:
        return None
    doc = json.loads(row[0])
    now = batch.of(store)
    if now is not None:  # the ingest applying this event reads the same row
        now.keep_row(cid, doc, int(row[1]))
    return HqCustomer(
        tier=str(doc.get("tier") or ""),
        tier_spend_minor=int(doc.get("tier_spend_minor") or 0),
        balance=int(row[1]),
        allowance=int(row[2]),
        country=str(doc.get("country") or ""),
        birthday=_birthday(doc.get("birthday")),
        segments=frozenset(str(s) for s in doc.get("segments") or []),
        coupons=frozenset(str(k) for k in doc.get("coupons") or {}),
        past=past_states(doc, _birthday),
    )


def _birthday(text: object) -> date | None:
    """A birthday as HQ keeps it, with its year or without ("--MM-DD")."""
    if not isinstance(text, str):
        return None
    return date.fromisoformat("2000" + text[1:] if text.startswith("--") else text)


def _original(
    store: HqStore, terminal_id: str, ret: Return
) -> tuple[Sale | None, tuple[Return, ...]]:
    """The sale ``ret`` returns lines of, as HQ holds it (on the till that made it), and
    the returns of it before, from any till."""
    tid = ret.original_terminal_id or terminal_id
    body = sale_body(store, tid, ret.original_seq)
    sale = None if body is None else read_event("sale", body).record
    earlier = tuple(
        r
        for _, _, text in return_bodies(store, tid, ret.original_seq)
        if isinstance(r := read_event("return", text).record, Return)
    )
    return (sale if isinstance(sale, Sale) else None), earlier
