"""HQ's documents of products and customers, read into the core's values and written back.

One reader for the snapshot on the wire, the terminal's own copy on disk, the demo
programme and `kassa quote`'s customer file. Each reader raises ValueError naming the
field at fault; the boundary that called it says where the document came from.
"""

from __future__ import annotations

from typing import Any

from agent.clock import parse_utc
from agent.model import Customer, PointLot, Product, Unit
from agent.money import MAX_WHOLE, Money, Points
from agent.privacy import greeting_of, month_day, month_day_text

HEX_DIGITS = "0123456789abcdef"


def whole(value: object, name: str) -> int:
    """``value`` if it is a whole number within +-MAX_WHOLE (a bool is none); raises
    ValueError naming ``name`` otherwise."""
    if not isinstance(value, int) or isinstance(value, bool) or abs(value) > MAX_WHOLE:
        raise ValueError(f"{name} must be a whole number of at most {MAX_WHOLE}")
    return value


def field(doc: dict[str, Any], key: str, kind: type) -> Any:
    """``doc[key]`` if it is a ``kind`` (a bool is no int, an int is within MAX_WHOLE);
    raises ValueError otherwise."""
    value = doc.get(key)
    if type(value) is kind and (type(value) is not int or -MAX_WHOLE <= value <= MAX_WHOLE):
        return value  # the common case, and exact: a bool is not an int here
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ValueError(f"field {key!r} missing or not {kind.__name__}")
    return whole(value, f"field {key!r}") if kind is int else value


def product_from_doc(d: object) -> Product:
    """A product as HQ sends it; raises ValueError."""
    if not isinstance(d, dict):
        raise ValueError("product is not an object")
    barcode = d.get("barcode")
    if barcode is not None and not isinstance(barcode, str):
        raise ValueError("product barcode must be text")
    loads = d.get("loads_gift_card", False)
    if not isinstance(loads, bool):
        raise ValueError("product loads_gift_card must be true or false")
    price = Money(field(d, "price_minor", int), field(d, "currency", str))
    try:
        unit = Unit(d.get("unit", "piece"))
    except ValueError:
        raise ValueError("product unit must be 'piece' or 'kg' (price_minor per kg)") from None
    item_code = d.get("item_code")
    if item_code is not None and not (
        isinstance(item_code, str) and item_code.isascii() and item_code.isdigit()
    ):
        raise ValueError("product item_code must be digits (as its scale labels carry it)")
    return Product(
        field(d, "sku", str),
        field(d, "name", str),
        price,
        field(d, "category", str),
        barcode,
        unit,
        item_code,
        loads_gift_card=loads,
    )


def _allowance(value: object) -> int:
    points = whole(value, "allowance")
    if points < 0:
        raise ValueError("allowance must be a whole number of points >= 0")
    return points


def _app_keys(value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(
        isinstance(k, str) and len(k) == 64 and all(c in "0123456789abcdef" for c in k)
        for k in value
    ):
        raise ValueError("app_keys must be a list of 64-hex-digit Ed25519 public keys")
    return tuple(value)


def _greeting(d: dict[str, Any]) -> str:
    """The name the customer chose to be greeted by; from a document with only a full
    name (an HQ that sends one, the demo's and `kassa quote`'s files), its first word."""
    greeting = d.get("greeting")
    return greeting if isinstance(greeting, str) else greeting_of(field(d, "name", str))


def _phone_hash(value: object) -> str:
    if value is None or value == "":
        return ""
    if not isinstance(value, str) or len(value) != 64 or not set(value) <= set(HEX_DIGITS):
        raise ValueError("phone_hash must be 64 hex digits (HMAC-SHA256)")
    return value


def customer_from_doc(d: object) -> Customer:
    """A customer as HQ sends it in a snapshot; raises ValueError naming the fault.

    Only what a terminal keeps is read (:mod:`agent.privacy`): the greeting, the
    birthday's month and day, the phone's keyed hash; a full name, a number in clear or
    a birthday's year in the document are not."""
    if not isinstance(d, dict):
        raise ValueError("customer is not an object")
    try:
        month = d.get("month_purchases") or ["", 0]
        if not isinstance(month, list) or len(month) != 2:
            raise ValueError("month_purchases must be [month, count]")
        birthday = d.get("birthday")
        lots = tuple(
            PointLot(
                Points(field(lot, "points", int)),
                parse_utc(field(lot, "earned_at", str)),
                parse_utc(field(lot, "expires_at", str)),
            )
            for lot in d.get("lots", [])
        )
        return Customer(
            customer_id=field(d, "customer_id", str),
            card=field(d, "card", str),
            name=_greeting(d),
            tier=field(d, "tier", str),
            hq_balance=Points(field(d, "balance", int)),
            country=str(d.get("country") or ""),
            birthday=month_day(birthday) if isinstance(birthday, str) else None,
            lots=lots,
            applied_seq=field(d, "applied_seq", int),
            segments=frozenset(str(s) for s in d.get("segments", [])),
            coupons=tuple(sorted((str(k), bool(v)) for k, v in d.get("coupons", {}).items())),
            purchases_total=whole(d.get("purchases_total", 0), "purchases_total"),
            month_purchases=(str(month[0]), whole(month[1], "month_purchases")),
            rule_uses=tuple(
                sorted((str(k), whole(v, "rule_uses")) for k, v in d.get("rule_uses", {}).items())
            ),
            allowance=Points(_allowance(d.get("allowance", 0))),
            app_keys=_app_keys(d.get("app_keys", [])),
            tier_spend_minor=None
            if d.get("tier_spend_minor") is None
            else whole(d["tier_spend_minor"], "tier_spend_minor"),
            phone=_phone_hash(d.get("phone_hash")),  # a number in clear is never kept
            held_until=None if d.get("held_until") is None else parse_utc(d["held_until"]),
        )
    except (TypeError, AttributeError) as exc:
        raise ValueError(str(exc)) from None


def customer_profile(c: Customer) -> dict[str, Any]:
    """What the terminal keeps of a customer besides its columns (id, card, balance,
    applied seq, allowance): the document :func:`customer_from_doc` reads back."""
    return {
        "greeting": c.name,
        "tier": c.tier,
        "country": c.country,
        "birthday": month_day_text(c.birthday) if c.birthday else None,
        "segments": sorted(c.segments),
        "coupons": dict(c.coupons),
        "purchases_total": c.purchases_total,
        "month_purchases": list(c.month_purchases),
        "rule_uses": dict(c.rule_uses),
        "app_keys": list(c.app_keys),
        "tier_spend_minor": c.tier_spend_minor,
        "phone_hash": c.phone,
        "lots": [
            {
                "points": lot.points,
                "earned_at": lot.earned_at.isoformat(),
                "expires_at": lot.expires_at.isoformat(),
            }
            for lot in c.lots
        ],
    }
