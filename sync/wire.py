"""The HQ protocol's shapes, and strict parsing of what HQ sends into core types.

Anything that does not parse is an HqProtocolError: it never reaches the store.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

from agent.documents import customer_from_doc, field, product_from_doc
from agent.errors import HqProtocolError, InvalidRuleset
from agent.events import Return, Sale, read_event
from agent.foreign import ForeignSale
from agent.model import Customer, OfflinePolicy, Product
from agent.money import MAX_WHOLE, Money
from agent.ruleset import Ruleset
from agent.ruleset_reader import parse_ruleset

MAX_BATCH = 1000
# The most bytes HQ reads of one upload (it answers 413 beyond them; `kassa hq
# --max-request-bytes`), and the longest body of one event it takes (a longer one is
# quarantined). The terminal packs its batches to fit: an event of the longest body,
# each character escaped (\uXXXX), still fits many times over.
MAX_REQUEST_BYTES = 8 * 1024 * 1024
MAX_EVENT_BODY_CHARS = 256 * 1024
MAX_SEQ = 2**53 - 1  # every JSON reader holds it exactly
# A snapshot comes in pages (sync.hq.snapshot): the parts in the order HQ sends them,
# each in the order of its rows' change counter (rev), then key; the longest key.
PARTS = ("products", "customers", "gift_cards")
MAX_KEY_CHARS = 256
_HEX = frozenset("0123456789abcdef")


@dataclass(frozen=True, slots=True)
class Ack:
    acked_through: int
    expected_seq: int
    statuses: dict[int, str]
    hq_time: str
    reasons: dict[int, str] = dataclass_field(default_factory=dict)  # why quarantined
    # HQ changed what it sends this terminal beyond the terminal's own figures: ask for
    # a snapshot now (an HQ that does not say so: after every upload, to be safe).
    refresh: bool = True


@dataclass(frozen=True, slots=True)
class Snapshot:
    cursor: int
    products: list[Product]
    customers: list[Customer]
    ruleset: Ruleset | None
    hq_time: str
    terminal_id: str = ""
    issued_at: str = ""
    expires_at: str = ""
    quotas: dict[str, int] | None = None
    revoked: list[str] | None = None
    gift_cards: list[tuple[str, Money, int]] | None = None
    policy: OfflinePolicy | None = None
    hq_keys: tuple[str, str] | None = None  # (phone key, seal key): agent.privacy
    next: PageKey | None = None  # the page after this one; None: the last of its pass
    holding: StoreHolding | None = None  # which customers the store's tills hold


@dataclass(frozen=True, slots=True)
class StoreHolding:
    """Which customers the tills of this terminal's store hold (HQ's setting): ``all``,
    or ``seen`` (those seen at the store in the last ``window_days``, and those HQ
    pushes); ``epoch`` counts the setting's changes."""

    mode: str
    window_days: int
    epoch: int


def parse_holding(doc: object) -> StoreHolding:
    if not isinstance(doc, dict):
        raise HqProtocolError("holding: must be an object")
    holding = StoreHolding(
        _get(doc, "mode", str), _get(doc, "window_days", int), _get(doc, "epoch", int)
    )
    if holding.mode not in ("all", "seen") or holding.window_days < 1 or holding.epoch < 0:
        raise HqProtocolError("holding: mode all or seen, window_days above 0, epoch >= 0")
    return holding


@dataclass(frozen=True, slots=True)
class PageKey:
    """Where the next page of a snapshot starts: the pass runs over the rows changed
    after the terminal's cursor up to HQ's rev ``upto`` (read when the pass began); the
    next page holds the rows of ``part`` after (``after_rev``, ``after``), then of the
    parts after it."""

    upto: int
    part: str
    after_rev: int
    after: str

    def to_doc(self) -> dict[str, Any]:
        return {
            "upto": self.upto,
            "part": self.part,
            "after_rev": self.after_rev,
            "after": self.after,
        }

    def params(self) -> dict[str, str | int]:
        """The page's query parameters (beside ``cursor`` and ``ruleset_version``)."""
        return dict(self.to_doc())


def parse_page_key(doc: object) -> PageKey:
    """Parse a page key (a snapshot's ``next``, or the one a terminal keeps); raises
    HqProtocolError naming the fault."""
    if not isinstance(doc, dict):
        raise HqProtocolError("next: must be an object")
    key = PageKey(
        _get(doc, "upto", int),
        _get(doc, "part", str),
        _get(doc, "after_rev", int),
        _get(doc, "after", str),
    )
    if key.part not in PARTS:
        raise HqProtocolError(f"next.part: one of {', '.join(PARTS)}")
    if not (0 <= key.after_rev <= key.upto <= MAX_SEQ) or len(key.after) > MAX_KEY_CHARS:
        raise HqProtocolError("next: a page key out of range")
    return key


def _get(doc: dict[str, Any], key: str, kind: type) -> Any:
    try:
        return field(doc, key, kind)
    except ValueError as exc:
        raise HqProtocolError(str(exc)) from None


# Why an event HQ answered "conflict" is listed with the quarantined: HQ holds another
# event under its seq (a till restored from an old backup, or two tills with one id), so
# the sale counts nowhere until an operator looks (`kassa hq quarantine`).
CONFLICT = "conflict: HQ holds another event under this seq (restored or cloned till?)"


def parse_ack(doc: object) -> Ack:
    if not isinstance(doc, dict):
        raise HqProtocolError("reply is not a JSON object")
    results = _get(doc, "results", list)
    statuses: dict[int, str] = {}
    reasons: dict[int, str] = {}
    for r in results:
        if not isinstance(r, dict):
            raise HqProtocolError("result entry is not an object")
        seq = _get(r, "seq", int)
        statuses[seq] = _get(r, "status", str)
        if statuses[seq] == "quarantined":
            reasons[seq] = str(r.get("reason") or "")
        elif statuses[seq] == "conflict":  # kept apart at HQ, counted nowhere: said so
            reasons[seq] = str(r.get("reason") or CONFLICT)
    return Ack(
        _get(doc, "acked_through", int),
        _get(doc, "expected_seq", int),
        statuses,
        _get(doc, "hq_time", str),
        reasons,
        doc.get("refresh") is not False,
    )


def parse_foreign_sale(doc: object, terminal_id: str, seq: int) -> ForeignSale:
    """HQ's answer for sale ``seq`` of ``terminal_id`` (the one asked for, or refused)."""
    if not isinstance(doc, dict):
        raise HqProtocolError("reply is not a JSON object")
    if _get(doc, "terminal_id", str) != terminal_id or _get(doc, "seq", int) != seq:
        raise HqProtocolError(f"HQ answered with another sale than {terminal_id}:{seq}")
    try:
        sale = read_event("sale", _get(doc, "body", str)).record
        returns = []
        for r in _get(doc, "returns", list):
            if not isinstance(r, dict):
                raise HqProtocolError("return entry is not an object")
            returns.append(read_event("return", _get(r, "body", str)).record)
    except ValueError as exc:
        raise HqProtocolError(f"sale {terminal_id}:{seq}: {exc}") from None
    if not isinstance(sale, Sale) or not all(isinstance(r, Return) for r in returns):
        raise HqProtocolError(f"sale {terminal_id}:{seq}: not a sale and its returns")
    mine = tuple(r for r in returns if isinstance(r, Return))
    return ForeignSale(terminal_id, seq, sale, mine)


def _product(d: object) -> Product:
    try:
        return product_from_doc(d)
    except ValueError as exc:
        sku = d.get("sku") if isinstance(d, dict) else None
        raise HqProtocolError(f"product {sku}: {exc}") from None


def parse_customer(d: object) -> Customer:
    """Parse one customer of a snapshot; raises HqProtocolError naming the fault."""
    try:
        return customer_from_doc(d)
    except ValueError as exc:
        cid = d.get("customer_id") if isinstance(d, dict) else None
        raise HqProtocolError(f"customer {cid}: {exc}") from None


def _hq_keys(doc: dict[str, Any]) -> tuple[str, str] | None:
    """HQ's phone key (HMAC, 32 bytes) and seal key (X25519 public), both 64 hex digits;
    None if HQ sent neither."""
    phone_key, seal_key = doc.get("phone_key"), doc.get("seal_key")
    if phone_key is None and seal_key is None:
        return None
    for name, value in (("phone_key", phone_key), ("seal_key", seal_key)):
        if not (isinstance(value, str) and len(value) == 64 and set(value) <= _HEX):
            raise HqProtocolError(f"{name}: must be 64 hex digits")
    return str(phone_key), str(seal_key)


def parse_snapshot(doc: object) -> Snapshot:
    """Parse a snapshot reply; raises HqProtocolError (or InvalidRuleset) naming the fault."""
    if not isinstance(doc, dict):
        raise HqProtocolError("snapshot is not a JSON object")
    products = [_product(p) for p in _get(doc, "products", list)]
    customers = [parse_customer(c) for c in _get(doc, "customers", list)]
    holders: dict[str, str] = {}
    for k in customers:
        if holders.setdefault(k.card, k.customer_id) != k.customer_id:
            raise HqProtocolError(
                f"card {k.card} given to both {holders[k.card]} and {k.customer_id}"
            )
    rs_doc = doc.get("ruleset")
    try:
        ruleset = None if rs_doc is None else parse_ruleset(rs_doc)
    except InvalidRuleset as exc:
        raise InvalidRuleset(f"HQ's ruleset refused, the old one kept: {exc.detail}") from None
    quotas = doc.get("quotas")
    if quotas is not None and not (
        isinstance(quotas, dict)
        and all(
            isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= MAX_WHOLE
            for v in quotas.values()
        )
    ):
        raise HqProtocolError("quotas: must map rule ids to whole numbers")
    revoked = doc.get("revoked")
    if revoked is not None and not (
        isinstance(revoked, list) and all(isinstance(r, str) for r in revoked)
    ):
        raise HqProtocolError("revoked: must be a list of rule ids")
    gift_cards = doc.get("gift_cards") or []
    if not isinstance(gift_cards, list):
        raise HqProtocolError("gift_cards: must be a list")
    cards = []
    for g in gift_cards:
        if not isinstance(g, dict):
            raise HqProtocolError("gift card is not an object")
        try:
            money = Money(_get(g, "balance_minor", int), _get(g, "currency", str))
        except ValueError as exc:
            raise HqProtocolError(f"gift card: {exc}") from None
        cards.append((_get(g, "card", str), money, _get(g, "applied_seq", int)))
    policy = None
    if doc.get("policy") is not None:
        try:
            policy = OfflinePolicy.from_doc(doc["policy"])
        except ValueError as exc:
            raise HqProtocolError(str(exc)) from None
    return Snapshot(
        _get(doc, "cursor", int),
        products,
        customers,
        ruleset,
        _get(doc, "hq_time", str),
        str(doc.get("terminal_id", "")),
        str(doc.get("issued_at", "")),
        str(doc.get("expires_at", "")),
        quotas,
        revoked,
        cards,
        policy,
        _hq_keys(doc),
        None if doc.get("next") is None else parse_page_key(doc["next"]),
        None if doc.get("holding") is None else parse_holding(doc["holding"]),
    )
