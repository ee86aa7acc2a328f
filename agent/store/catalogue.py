"""What HQ sends and the till reads: products, customers and balances, the ruleset, the
offline policy; a snapshot applied in one transaction."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from agent.clock import parse_utc
from agent.documents import customer_from_doc, customer_profile
from agent.journal import canonical
from agent.model import Customer, OfflinePolicy, Product, Unit
from agent.money import Money, Points
from agent.point_lots import Holding, Move, replay
from agent.privacy import phone_hash
from agent.ruleset import Ruleset
from agent.ruleset_reader import parse_ruleset
from agent.store.file import StoreFile
from agent.timefloor import (
    HQ_KEY,
    LOCAL_KEY,
    LOCAL_STEP_S,
    SNAPSHOT_KEY,
    OfflineState,
    TimesSeen,
    offline_state,
)

PHONE_KEY, SEAL_KEY = "hq_phone_key", "hq_seal_key"  # meta keys
PAGE_KEY, EPOCH_KEY = "snapshot_page", "holding_epoch"  # the next page; the store's holding


class Catalogue:
    """Products, customers, the ruleset and HQ's policy, as the last snapshot left them."""

    def __init__(self, file: StoreFile) -> None:
        self.file = file
        self.conn = file.conn
        self._ruleset_cache: Ruleset | None = None
        self._policy_text: str | None = None
        self._policy = OfflinePolicy()

    # -- catalogue, customers, ruleset ---------------------------------------
    def product(self, code: str) -> Product | None:
        """Return the product whose SKU or barcode is ``code``, or None."""
        return _product(
            self.conn.execute(
                f"SELECT {_PRODUCT} FROM products WHERE sku=? OR barcode=? LIMIT 1", (code, code)
            ).fetchone()
        )

    def product_by_item_code(self, item_code: str) -> Product | None:
        """Return the product whose scale labels carry ``item_code`` (digits; leading
        zeros do not count), or None."""
        return _product(
            self.conn.execute(
                f"SELECT {_PRODUCT} FROM products WHERE item_code=? LIMIT 1",
                (_item_key(item_code),),
            ).fetchone()
        )

    def _customer_where(self, where: str, value: str) -> Customer | None:
        row = self.conn.execute(
            "SELECT customer_id, card, doc, hq_balance, applied_seq, allowance FROM customers "
            f"WHERE {where} LIMIT 1",  # where: one of the fixed clauses of the methods below
            (value,),
        ).fetchone()
        return None if row is None else _customer(row)

    def customer_by_card(self, card: str) -> Customer | None:
        return self._customer_where("card=?", card)

    def keep_customer(self, customer: Customer) -> None:
        """Hold ``customer`` as HQ described them when asked about their card."""
        with self.file.atomic() as c:
            _hold(c, [customer])

    def customer_by_phone(self, phone: str) -> Customer | None:
        """The customer with this phone number (digits only), or None: found by its
        keyed hash (:mod:`agent.privacy`); None before HQ sent its phone key."""
        key = self.file.get_meta(PHONE_KEY)
        if key is None:
            return None
        return self._customer_where("phone=? AND phone != ''", phone_hash(key, phone))

    def hq_keys(self) -> tuple[str | None, str | None]:
        """HQ's phone key (for hashing a number) and its seal key (for sealing a number
        for HQ), as HQ's last snapshot sent them (None before)."""
        return self.file.get_meta(PHONE_KEY), self.file.get_meta(SEAL_KEY)

    def customer(self, customer_id: str) -> Customer | None:
        return self._customer_where("customer_id=?", customer_id)

    def holding(self, customer: Customer) -> Holding:
        """The customer's points as lots: HQ's at the last snapshot, with this terminal's
        moves HQ had not applied replayed over them, in the order they were made."""
        rows = self.conn.execute(
            "SELECT l.points, l.expires_at, j.at FROM ledger l JOIN journal j ON j.seq=l.seq "
            "WHERE l.customer_id=? AND l.seq>? ORDER BY l.seq, l.id",
            (customer.customer_id, customer.applied_seq),
        ).fetchall()
        moves = (
            Move(int(p), parse_utc(at), parse_utc(exp) if exp else None) for p, exp, at in rows
        )
        return replay(Holding.of(customer.hq_balance, customer.lots), moves)

    def as_held(self, customer: Customer, at: datetime) -> tuple[Customer, Points]:
        """The customer with the lots alive at ``at`` (after this terminal's moves), and
        the balance they may spend then."""
        held = self.holding(customer)
        return replace(customer, lots=held.alive(at)), held.balance(at)

    def balance(self, customer: Customer, at: datetime) -> Points:
        """What the customer may spend at ``at``: HQ's balance at the last snapshot with
        this terminal's moves since, less every lot expired by then."""
        return self.holding(customer).balance(at)

    def offline_policy(self) -> OfflinePolicy:
        """HQ's offline spending policy as last received (the default before any)."""
        return self.offline_state(None).policy

    def offline_state(self, now: datetime | None) -> OfflineState:
        """HQ's offline policy, the time limits are measured at (:mod:`agent.timefloor`)
        and whether the last snapshot is older than the policy allows then (always stale
        before the first snapshot). One query: read at every quote."""
        policy_text, local, hq, snap, received = self.conn.execute(
            "SELECT (SELECT value FROM meta WHERE key='offline_policy'), "
            f"(SELECT value FROM meta WHERE key='{LOCAL_KEY}'), "
            f"(SELECT value FROM meta WHERE key='{HQ_KEY}'), "
            f"(SELECT value FROM meta WHERE key='{SNAPSHOT_KEY}'), "
            "(SELECT value FROM meta WHERE key='last_download_at')"
        ).fetchone()
        if policy_text != self._policy_text:  # parse once per policy HQ sends
            self._policy_text = policy_text
            self._policy = (
                OfflinePolicy()
                if policy_text is None
                else OfflinePolicy.from_doc(json.loads(policy_text))
            )
        seen = TimesSeen(
            *(None if t is None else parse_utc(t) for t in (local, hq, snap or received))
        )
        return offline_state(self._policy, now, seen)

    def use_token(self, customer_id: str, nonce: str, at: datetime, keep_s: int) -> bool:
        """Record a phone token's nonce as used; False if it was used before.

        Nonces older than ``keep_s`` are forgotten: their tokens have expired anyway.
        """
        with self.file.atomic() as c:
            c.execute(
                "DELETE FROM used_tokens WHERE used_at < ?",
                ((at - timedelta(seconds=keep_s)).isoformat(),),
            )
            cur = c.execute(
                "INSERT OR IGNORE INTO used_tokens(customer_id, nonce, used_at) VALUES(?,?,?)",
                (customer_id, nonce, at.isoformat()),
            )
            return cur.rowcount == 1

    def record_clock_skew(self, local: datetime, hq: datetime) -> None:
        """Keep both clocks' readings when they disagree by more than the tolerance."""
        self.conn.execute(
            "INSERT INTO clock_skew(local_time, hq_time, skew_s) VALUES(?,?,?)",
            (local.isoformat(), hq.isoformat(), (local - hq).total_seconds()),
        )

    def note_times(self, local: datetime, hq: datetime | None = None) -> None:
        """Write down the local time (at most once a minute) and HQ's time in a reply, where
        later than those held: the floor of the offline limits (:mod:`agent.timefloor`)."""
        f = self.file
        if not f.later_than_held(LOCAL_KEY, local, LOCAL_STEP_S) and (
            hq is None or not f.later_than_held(HQ_KEY, hq)
        ):
            return  # nothing new: no write transaction (the sync thread asks every round)
        with self.file.atomic():
            self.file.note_time(LOCAL_KEY, local, LOCAL_STEP_S)
            if hq is not None:
                self.file.note_time(HQ_KEY, hq)

    def timezone(self) -> ZoneInfo | None:
        """The store's time zone, from the newest ruleset without parsing all of it (a
        receipt, printed through a connection of its own, needs only this)."""
        row = self.conn.execute(
            "SELECT json_extract(document, '$.timezone') FROM rulesets "
            "ORDER BY version DESC LIMIT 1"
        ).fetchone()
        return None if row is None else ZoneInfo(str(row[0]))

    def ruleset(self) -> Ruleset | None:
        """Return the newest ruleset held, or None before the first download."""
        version, revoked_text = self.conn.execute(
            "SELECT (SELECT MAX(version) FROM rulesets), "
            "(SELECT group_concat(rule_id, char(31)) FROM revocations)"
        ).fetchone()
        if version is None:
            return None
        cached = self._ruleset_cache
        if cached is None or cached.version != version:  # parse once per version
            (doc,) = self.conn.execute(
                "SELECT document FROM rulesets WHERE version=?", (version,)
            ).fetchone()
            cached = self._ruleset_cache = parse_ruleset(json.loads(doc))
        revoked = frozenset(revoked_text.split("\x1f")) if revoked_text else frozenset()
        return cached if revoked == cached.revoked else replace(cached, revoked=revoked)

    def snapshot_position(self) -> tuple[int, str | None, str | None]:
        """The cursor of the last whole snapshot, the key of the next page of the pass
        under way (None: none is), and the epoch of the store's holding (None before)."""
        cursor, page, epoch = self.conn.execute(
            "SELECT (SELECT value FROM meta WHERE key='snapshot_cursor'), "
            f"(SELECT value FROM meta WHERE key='{PAGE_KEY}'), "
            f"(SELECT value FROM meta WHERE key='{EPOCH_KEY}')"
        ).fetchone()
        return int(cursor or 0), page, epoch

    def hold_from_scratch(self, epoch: str) -> int:
        """Under a new holding setting of the store (``epoch``), forget the customers held
        and start from cursor 0; returns how many were forgotten. A few thousand a
        transaction: a sale waits for no more; stopped half-way, the next call goes on."""
        with self.file.atomic():
            self.file.set_meta("snapshot_cursor", "0")
            self.file.forget_meta(PAGE_KEY)
            self.file.set_meta(EPOCH_KEY, "")  # under way: not yet the new epoch
        gone = 0
        while True:
            with self.file.atomic() as c:
                n = c.execute(
                    "DELETE FROM customers WHERE customer_id IN "
                    "(SELECT customer_id FROM customers LIMIT 5000)"
                ).rowcount
                if n == 0:
                    self.file.set_meta(EPOCH_KEY, epoch)
                    return gone
            gone += n

    def apply_snapshot(
        self,
        *,
        products: list[Product],
        customers: list[Customer],
        ruleset: Ruleset | None,
        cursor: str,
        received_at: datetime,
        quotas: dict[str, int] | None = None,
        revoked: list[str] | None = None,
        gift_cards: list[tuple[str, Money, int]] | None = None,
        policy: OfflinePolicy | None = None,
        hq_time: datetime | None = None,
        hq_keys: tuple[str, str] | None = None,
        next_page: str | None = None,
        holding_epoch: str | None = None,
    ) -> None:
        """Apply one validated page of a snapshot atomically: all of it or none of it.

        ``next_page`` (the key of the page after it, as text) is kept with it; the last
        page of a pass has none: the cursor moves to ``cursor`` then, and the snapshot is
        new from then. ``received_at`` is this terminal's clock, ``hq_time`` HQ's time in
        the snapshot (signed with it): the snapshot's age counts from it, and the floor
        the offline limits are measured at (:mod:`agent.timefloor`) is anchored at the
        later of the two. Customers held until before ``received_at`` are forgotten.
        """
        with self.file.atomic() as c:
            if holding_epoch is not None:
                self.file.set_meta(EPOCH_KEY, holding_epoch)
            c.execute(  # a few at a time: a page's transaction stays short
                "DELETE FROM customers WHERE customer_id IN (SELECT customer_id FROM "
                "customers WHERE held_until < ? ORDER BY held_until LIMIT 1000)",
                (_utc(received_at),),
            )
            if policy is not None:
                self.file.set_meta("offline_policy", canonical(policy.to_doc()))
            if hq_keys is not None:  # (phone key, seal key): agent.privacy
                self.file.set_meta(PHONE_KEY, hq_keys[0])
                self.file.set_meta(SEAL_KEY, hq_keys[1])
            c.executemany(
                "INSERT INTO products(sku, name, price_minor, currency, category, barcode, unit, "
                "item_code, loads_gift_card) VALUES(?,?,?,?,?,?,?,?,?) ON CONFLICT(sku) DO UPDATE "
                "SET name=excluded.name, price_minor=excluded.price_minor, "
                "currency=excluded.currency, category=excluded.category, "
                "barcode=excluded.barcode, unit=excluded.unit, item_code=excluded.item_code, "
                "loads_gift_card=excluded.loads_gift_card",
                [
                    (
                        p.sku,
                        p.name,
                        p.price.minor,
                        p.price.currency,
                        p.category,
                        p.barcode,
                        p.unit.value,
                        None if p.item_code is None else _item_key(p.item_code),
                        int(p.loads_gift_card),
                    )
                    for p in products
                ],
            )
            _hold(c, customers)
            if ruleset is not None:
                c.execute(
                    "INSERT OR IGNORE INTO rulesets(version, document, received_at) VALUES(?,?,?)",
                    (ruleset.version, canonical(ruleset.document), received_at.isoformat()),
                )
            if quotas is not None:
                c.execute("DELETE FROM quotas")
                c.executemany(
                    "INSERT INTO quotas(rule_id, granted) VALUES(?, ?)", sorted(quotas.items())
                )
            c.executemany(
                "INSERT OR IGNORE INTO revocations(rule_id, received_at) VALUES(?, ?)",
                [(r, received_at.isoformat()) for r in revoked or []],
            )
            c.executemany(
                "INSERT INTO gift_cards(card, hq_balance_minor, currency, applied_seq) "
                "VALUES(?,?,?,?) ON CONFLICT(card) DO UPDATE SET "
                "hq_balance_minor=excluded.hq_balance_minor, currency=excluded.currency, "
                "applied_seq=excluded.applied_seq",
                [(card, m.minor, m.currency, applied) for card, m, applied in gift_cards or []],
            )
            if next_page is not None:  # the pass goes on: the cursor stays where it was
                self.file.set_meta(PAGE_KEY, next_page)
                if hq_time is not None:
                    self.file.note_time(HQ_KEY, hq_time)
                return
            self.file.forget_meta(PAGE_KEY)
            self.file.set_meta("snapshot_cursor", cursor)
            self.file.set_meta("last_download_at", received_at.isoformat())
            anchor = max(received_at, hq_time or received_at)
            self.file.set_meta(SNAPSHOT_KEY, (hq_time or received_at).isoformat())
            self.file.set_meta(LOCAL_KEY, anchor.isoformat())
            if hq_time is not None:
                self.file.set_meta(HQ_KEY, hq_time.isoformat())


def _hold(c: Executes, customers: list[Customer]) -> None:
    """Hold ``customers`` as HQ described them (a snapshot's, or one HQ was asked about)."""
    # HQ decides who holds a card: one it gave to another customer (two customers
    # swapped cards, or a card enrolled here went to an enrolment elsewhere) is
    # released from its holder here first, who keeps "~<customer_id>" (no scan
    # ever reads that as a card) until HQ names their new one.
    c.executemany(
        "UPDATE customers SET card='~' || customer_id WHERE card=? AND customer_id<>?",
        [(k.card, k.customer_id) for k in customers],
    )
    c.executemany(
        "INSERT INTO customers(customer_id, card, doc, hq_balance, applied_seq, allowance, "
        "phone, held_until) VALUES(?,?,?,?,?,?,?,?) ON CONFLICT(customer_id) DO UPDATE SET "
        "card=excluded.card, doc=excluded.doc, hq_balance=excluded.hq_balance, "
        "applied_seq=excluded.applied_seq, allowance=excluded.allowance, "
        "phone=excluded.phone, held_until=excluded.held_until",
        [
            (
                k.customer_id,
                k.card,
                json.dumps(customer_profile(k)),
                k.hq_balance,
                k.applied_seq,
                k.allowance,
                k.phone,
                None if k.held_until is None else _utc(k.held_until),
            )
            for k in customers
        ],
    )


class Executes(Protocol):
    def executemany(self, sql: str, rows: Iterable[Sequence[object]], /) -> object: ...


_PRODUCT = "sku, name, price_minor, currency, category, barcode, unit, item_code, loads_gift_card"


def _utc(at: datetime) -> str:
    """A time as the customers' held_until keeps it: UTC, ISO, so text order is time order."""
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def _item_key(item_code: str) -> str:
    """An item code as the products table keeps it: 00042 and 42 are one item."""
    return item_code.lstrip("0") or "0"


def _product(row: tuple[Any, ...] | None) -> Product | None:
    if row is None:
        return None
    sku, name, price_minor, currency, category, barcode, unit, item_code, loads = row
    price = Money(price_minor, currency)
    return Product(sku, name, price, category, barcode, Unit(unit), item_code, bool(loads))


def _customer(row: tuple[Any, ...]) -> Customer:
    cid, card, doc, balance, applied_seq, allowance = row
    return customer_from_doc(
        dict(
            json.loads(doc),
            customer_id=cid,
            card=card,
            balance=balance,
            applied_seq=applied_seq,
            allowance=allowance,
        )
    )
