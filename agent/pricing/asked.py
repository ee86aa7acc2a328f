"""What a quote was asked beyond the basket and the ruleset, as a sale records it.

A sale carries the customer as the quote saw them (their pricing-relevant state), the
points it could spend, the terminal's own counts (:class:`~agent.pricing.inputs.Usage`),
how the customer paid (:class:`~agent.pricing.inputs.Tender`) and the rules the
terminal held revoked, so HQ can price it again with the same engine
(``sync/hq/reprice.py``). Fields are written and read by their declared type: a new
field of Tender or Usage of a type in :data:`CODECS` needs no line here, one of a new
type one line there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import MISSING, dataclass, fields, replace
from datetime import date
from typing import Any

from agent.clock import parse_utc
from agent.documents import field, whole
from agent.model import Customer, PointLot
from agent.money import Points
from agent.pricing.inputs import Standing, Tender, Usage

# The customer's fields a quote reads (Customer's other fields are the terminal's
# bookkeeping or personal data a price does not depend on).
PRICED_CUSTOMER = (
    "customer_id",
    "tier",
    "country",
    "birthday",
    "segments",
    "coupons",
    "purchases_total",
    "month_purchases",
    "rule_uses",
    "tier_spend_minor",
    "lots",
)


def _text(v: object, name: str) -> str:
    if not isinstance(v, str):
        raise ValueError(f"{name} must be text")
    return v


def _list(v: object, name: str) -> list[Any]:
    if not isinstance(v, list):
        raise ValueError(f"{name} must be a list")
    return v


def _pairs(kind: Callable[[object, str], Any]) -> Callable[[object, str], Any]:
    def read(v: object, name: str) -> tuple[tuple[str, Any], ...]:
        out = []
        for x in _list(v, name):
            if not isinstance(x, list) or len(x) != 2:
                raise ValueError(f"{name} must hold [name, value] pairs")
            out.append((_text(x[0], name), kind(x[1], name)))
        return tuple(out)

    return read


def _flag(v: object, name: str) -> bool:
    if not isinstance(v, bool):
        raise ValueError(f"{name} must be true or false")
    return v


def _counts(v: object, name: str) -> dict[str, int]:
    if not isinstance(v, dict):
        raise ValueError(f"{name} must be an object")
    return {_text(k, name): whole(n, name) for k, n in v.items()}


def _birthday(v: object, name: str) -> date | None:
    """A birthday as a sale keeps it, without the year ("--MM-DD"): a quote reads only the
    day; read into a date of the leap year 2000, so 29 February reads too."""
    if v is None:
        return None
    text = _text(v, name)
    if len(text) != 7 or not text.startswith("--"):
        raise ValueError(f"{name} must be --MM-DD")
    return date.fromisoformat("2000" + text[1:])


def _lots(v: object, name: str) -> tuple[PointLot, ...]:
    try:
        return tuple(
            PointLot(
                Points(field(x, "points", int)),
                parse_utc(field(x, "earned_at", str)),
                parse_utc(field(x, "expires_at", str)),
            )
            for x in _list(v, name)
        )
    except (AttributeError, TypeError, ValueError) as exc:
        raise ValueError(f"{name}: {exc}") from None


def _all(got: dict[str, Any], cls: type, name: str) -> dict[str, Any]:
    """``got`` if it holds every field of ``cls``; raises ValueError naming the first missing."""
    for f in fields(cls):
        if f.name not in got:
            raise ValueError(f"{name}.{f.name} is missing")
    return got


def _same(v: Any) -> Any:
    return v


def _maybe(read: Callable[[object, str], Any]) -> Callable[[object, str], Any]:
    return lambda v, name: None if v is None else read(v, name)


# Declared type -> (write, read); a read raises ValueError naming the field.
CODECS: dict[str, tuple[Callable[[Any], Any], Callable[[object, str], Any]]] = {
    "str": (_same, _text),
    "int": (_same, whole),
    "bool": (_same, _flag),
    "Points": (_same, lambda v, n: Points(whole(v, n))),
    "int | None": (_same, _maybe(whole)),
    "frozenset[str]": (sorted, lambda v, n: frozenset(_text(x, n) for x in _list(v, n))),
    "dict[str, int]": (dict, _counts),
    "tuple[str, int]": (list, lambda v, n: _pairs(whole)([v], n)[0]),
    "tuple[tuple[str, int], ...]": (lambda v: [list(x) for x in v], _pairs(whole)),
    "tuple[tuple[str, bool], ...]": (lambda v: [list(x) for x in v], _pairs(_flag)),
    "date | None": (lambda v: None if v is None else v.strftime("--%m-%d"), _birthday),
    "Standing | None": (
        lambda v: None if v is None else write(v),
        _maybe(lambda v, n: Standing(**_all(read(v, Standing, n), Standing, n))),
    ),
    "tuple[PointLot, ...]": (
        lambda v: [
            {
                "points": x.points,
                "earned_at": x.earned_at.isoformat(),
                "expires_at": x.expires_at.isoformat(),
            }
            for x in v
        ],
        _lots,
    ),
}


_TYPES: dict[type, dict[str, str]] = {}


def _types(cls: type) -> dict[str, str]:
    """Each field's declared type, by name (read once a class)."""
    found = _TYPES.get(cls)
    if found is None:
        found = _TYPES[cls] = {f.name: str(f.type) for f in fields(cls)}
    return found


def write(value: Any, names: tuple[str, ...] | None = None) -> dict[str, Any]:
    """The fields ``names`` (all, by default) of a dataclass ``value``, by declared type."""
    types = _types(type(value))
    return {n: CODECS[types[n]][0](getattr(value, n)) for n in names or tuple(types)}


def read(doc: object, cls: type, path: str, names: tuple[str, ...] | None = None) -> dict[str, Any]:
    """The fields ``names`` (all, by default) of ``cls`` present in ``doc`` (absent ones
    keep their defaults: bodies written before a field was added read too); raises
    ValueError naming the field."""
    if not isinstance(doc, dict):
        raise ValueError(f"{path} must be an object")
    types = _types(cls)
    return {n: CODECS[types[n]][1](doc[n], f"{path}.{n}") for n in names or types if n in doc}


# What a customer as a sale records them holds beyond PRICED_CUSTOMER: nothing (the
# fields without a default empty, the others at their defaults).
_UNPRICED: tuple[tuple[str, object], ...] = (
    ("card", ""),
    ("name", ""),
    ("hq_balance", 0),
    *(
        (f.name, f.default)
        for f in fields(Customer)
        if f.name not in PRICED_CUSTOMER and f.default is not MISSING
    ),
)
if len(_UNPRICED) + len(PRICED_CUSTOMER) != len(fields(Customer)):  # a default_factory
    raise TypeError("Customer's fields outside PRICED_CUSTOMER need plain defaults")


def _recorded(c: Customer) -> bool:
    """Whether ``c`` is as a sale records them (:meth:`PricedWith.as_recorded` gives an
    equal customer): nothing beyond what prices, a birthday in the year 2000."""
    return (c.birthday is None or c.birthday.year == 2000) and all(
        getattr(c, n) == default for n, default in _UNPRICED
    )


@dataclass(frozen=True, slots=True)
class PricedWith:
    """The inputs a quote was priced with, besides the basket and the ruleset's version."""

    customer: Customer | None  # as the quote saw them (the lots alive then)
    balance: int | None  # the points it could spend
    usage: Usage
    tender: Tender
    revoked: frozenset[str] = frozenset()  # the rules the terminal held revoked
    standing: Standing | None = None  # where the customer stood towards the tiers

    def as_recorded(self, standing: Standing | None = None) -> PricedWith:
        """These inputs as a sale records them, and HQ reads them back: of the customer
        only what prices (:data:`PRICED_CUSTOMER`), their birthday without its year; with
        ``standing``, standing there (else where these inputs say)."""
        c = self.customer
        if c is not None and not _recorded(c):
            kept: dict[str, Any] = {n: getattr(c, n) for n in PRICED_CUSTOMER}
            if c.birthday is not None:
                kept["birthday"] = date(2000, c.birthday.month, c.birthday.day)
            c = Customer(**kept, card="", name="", hq_balance=Points(0))
        at = self.standing if standing is None else standing
        return PricedWith(c, self.balance, self.usage, self.tender, self.revoked, at)

    def to_doc(self) -> dict[str, Any]:
        return {
            "customer": None if self.customer is None else write(self.customer, PRICED_CUSTOMER),
            "balance": self.balance,
            "usage": write(self.usage),
            "tender": write(self.tender),
            "revoked": sorted(self.revoked),
            "standing": CODECS["Standing | None"][0](self.standing),
        }

    @staticmethod
    def from_doc(d: object) -> PricedWith | None:
        """The inputs under a sale's ``priced_with``; None for a body before them."""
        if d is None:
            return None
        if not isinstance(d, dict):
            raise ValueError("priced_with must be an object")
        cust = d.get("customer")
        customer = None
        if cust is not None:
            got = read(cust, Customer, "priced_with.customer", PRICED_CUSTOMER)
            if "customer_id" not in got or "tier" not in got:
                raise ValueError("priced_with.customer needs customer_id and tier")
            customer = replace(Customer(got["customer_id"], "", "", got["tier"], Points(0)), **got)
        return PricedWith(
            customer=customer,
            balance=None
            if d.get("balance") is None
            else whole(d["balance"], "priced_with.balance"),
            usage=Usage(**read(d.get("usage", {}), Usage, "priced_with.usage")),
            tender=Tender(**read(d.get("tender", {}), Tender, "priced_with.tender")),
            revoked=CODECS["frozenset[str]"][1](d.get("revoked", []), "priced_with.revoked"),
            standing=CODECS["Standing | None"][1](d.get("standing"), "priced_with.standing"),
        )
