"""What a POS sends the agent, read into typed records once, at the boundary.

Each reader takes the parsed JSON and returns a frozen record, or raises
:class:`BadRequest` naming the field (``body.lines[2].qty``) and what is wrong with it:
the agent answers 422 with both, never a 5xx. Nothing past these readers looks at a
dict from a POS.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from agent.errors import KassaError
from agent.i18n import LANGUAGES
from agent.model import MAX_QTY

MAX_TEXT = 128  # characters of a code, SKU, name, receipt id
MAX_LINES = 500  # lines of one basket
MAX_MINOR = 10**9  # a unit price, a tender: 10,000,000.00 is far above any till's
MAX_POINTS = 10**9
MAX_BODY_BYTES = 1 << 20  # a 500-line basket is about 60 KB
RECEIPT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")
KEY = re.compile(r"[\x21-\x7e]{1,128}")  # an Idempotency-Key: printable ASCII


class BadRequest(KassaError):
    """A request the agent does not read: ``field`` names where, ``why`` what."""

    def __init__(self, field: str, why: str, status: int = 422) -> None:
        super().__init__(f"{field}: {why}")
        self.field = field
        self.why = why
        self.status = status

    def to_doc(self) -> dict[str, str]:
        return {"error": f"{self.field}: {self.why}", "field": self.field}


def parse_json(raw: bytes) -> dict[str, Any]:
    """The body as a JSON object; raises BadRequest (400) when it is not one."""
    if len(raw) > MAX_BODY_BYTES:
        raise BadRequest("body", f"at most {MAX_BODY_BYTES} bytes", 413)
    try:
        doc = json.loads(raw)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        raise BadRequest("body", "must be a JSON object", 400) from None
    if not isinstance(doc, dict):
        raise BadRequest("body", "must be a JSON object", 400)
    return doc


def _text(
    doc: dict[str, Any], name: str, path: str, *, required: bool = False, nullable: bool = False
) -> str | None:
    """A text of 1 to MAX_TEXT characters, not blank; absent (or null where ``nullable``)
    is None; null where the document does not allow it is refused, as it says."""
    if name not in doc or (nullable and doc[name] is None):
        if required:
            raise BadRequest(f"{path}.{name}", "is missing")
        return None
    value = doc[name]
    if not isinstance(value, str) or not 1 <= len(value) <= MAX_TEXT or not value.strip():
        raise BadRequest(f"{path}.{name}", f"must be a text of 1 to {MAX_TEXT} characters")
    return value.strip()


def _whole(doc: dict[str, Any], name: str, path: str, lo: int, hi: int) -> int | None:
    if name not in doc:
        return None
    value = doc[name]
    if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
        raise BadRequest(f"{path}.{name}", f"must be a whole number from {lo} to {hi}")
    return value


def _flag(doc: dict[str, Any], name: str, path: str) -> bool:
    value = doc.get(name, False)
    if not isinstance(value, bool):
        raise BadRequest(f"{path}.{name}", "must be true or false")
    return value


def _list(doc: dict[str, Any], name: str, path: str, most: int) -> list[Any]:
    if name not in doc:
        return []
    value = doc[name]
    if not isinstance(value, list) or len(value) > most:
        raise BadRequest(f"{path}.{name}", f"must be a list of at most {most}")
    return value


def _object(value: object, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise BadRequest(path, "must be an object")
    return value


def language(doc: dict[str, Any], header: str | None, default: str) -> str:
    """The language of the reply: the body's ``lang``, else the first of Accept-Language
    kassa has a catalogue for, else ``default`` (the till's)."""
    lang = doc.get("lang")
    if "lang" in doc:
        if lang not in LANGUAGES:
            raise BadRequest("body.lang", f"must be one of {', '.join(LANGUAGES)}")
        return str(lang)
    return accepted(header, default)


def accepted(header: str | None, default: str) -> str:
    """The first language of an Accept-Language header kassa speaks (``pl-PL`` is pl)."""
    for part in (header or "").split(","):
        tag = part.split(";")[0].strip().lower()[:2]
        if tag in LANGUAGES:
            return tag
    return default


@dataclass(frozen=True, slots=True)
class WhoAsks:
    """How the customer is named: a handle from identify, a card, a phone number, or a
    phone app's QR token (identify only: a token identifies once)."""

    identification: str | None = None
    card: str | None = None
    typed: bool = False  # the card was keyed in, not scanned: points wait for a check
    phone: str | None = None
    token: str | None = None


def who(value: object, path: str, *, token: bool) -> WhoAsks:
    doc = _object(value, path)
    kinds = ["card", "phone", "token" if token else "identification"]
    given = [k for k in kinds if k in doc]
    if len(given) != 1:
        raise BadRequest(path, f"must name the customer by exactly one of {', '.join(kinds)}")
    return WhoAsks(
        identification=None if token else _text(doc, "identification", path),
        card=_text(doc, "card", path),
        typed=_flag(doc, "typed", path),
        phone=_text(doc, "phone", path),
        token=_text(doc, "token", path) if token else None,
    )


@dataclass(frozen=True, slots=True)
class PosLine:
    """A line of the POS's basket: its code, units, and the POS's own price and category
    (a product the catalogue lacks is sold at these)."""

    code: str  # a SKU, a barcode or a scale label
    qty: int
    unit_minor: int | None
    category: str | None
    name: str | None


def _line(value: object, path: str) -> PosLine:
    doc = _object(value, path)
    sku, barcode = _text(doc, "sku", path), _text(doc, "barcode", path)
    if (sku is None) == (barcode is None):
        raise BadRequest(path, "must name the product by exactly one of sku, barcode")
    qty = _whole(doc, "qty", path, 1, MAX_QTY)
    return PosLine(
        code=sku or barcode or "",
        qty=1 if qty is None else qty,
        unit_minor=_whole(doc, "unit_minor", path, 0, MAX_MINOR),
        category=_text(doc, "category", path),
        name=_text(doc, "name", path),
    )


@dataclass(frozen=True, slots=True)
class BasketAsk:
    """A basket to price: the customer, lines, codes (promo codes, coupons, rewards: a
    reward named twice is claimed twice), the gift card that pays, the points asked."""

    customer: WhoAsks | None
    lines: tuple[PosLine, ...]
    codes: tuple[str, ...]
    gift_card: str | None
    points: int | None  # points to pay with; None: none
    most_points: bool  # pay the most the sale allows with points


def basket(doc: dict[str, Any]) -> BasketAsk:
    """Read a calculation's body; raises BadRequest naming the field."""
    path = "body"
    cust = doc.get("customer")
    lines = tuple(
        _line(x, f"{path}.lines[{i}]") for i, x in enumerate(_list(doc, "lines", path, MAX_LINES))
    )
    if not lines:
        raise BadRequest(f"{path}.lines", "must hold at least one line")
    codes = []
    for i, c in enumerate(_list(doc, "codes", path, 100)):
        if not isinstance(c, str) or not 1 <= len(c) <= MAX_TEXT or not c.strip():
            raise BadRequest(f"{path}.codes[{i}]", f"must be a text of 1 to {MAX_TEXT} characters")
        codes.append(c.strip())
    points = doc.get("points")
    most = points == "max"
    if not most and points is not None:
        points = _whole(doc, "points", path, 0, MAX_POINTS)
    return BasketAsk(
        customer=None if cust is None else who(cust, f"{path}.customer", token=False),
        lines=lines,
        codes=tuple(codes),
        gift_card=_text(doc, "gift_card", path, nullable=True),
        points=None if most else points,
        most_points=most,
    )


@dataclass(frozen=True, slots=True)
class Tender:
    kind: str  # the POS's name for it: cash, card, voucher...
    amount_minor: int


@dataclass(frozen=True, slots=True)
class CommitAsk:
    basket: BasketAsk
    receipt_id: str
    tenders: tuple[Tender, ...]


def receipt_id(value: object, path: str) -> str:
    if not isinstance(value, str) or not RECEIPT_ID.fullmatch(value):
        raise BadRequest(
            path, "must be 1 to 64 letters, digits and . _ : - (a letter or digit first)"
        )
    return value


def commit(doc: dict[str, Any]) -> CommitAsk:
    """Read a commit's body: a calculation's, with the POS's receipt id and tenders."""
    tenders = []
    for i, x in enumerate(_list(doc, "tenders", "body", 20)):
        t = _object(x, f"body.tenders[{i}]")
        kind = _text(t, "kind", f"body.tenders[{i}]", required=True)
        amount = _whole(t, "amount_minor", f"body.tenders[{i}]", 0, MAX_MINOR)
        if amount is None:
            raise BadRequest(f"body.tenders[{i}].amount_minor", "is missing")
        tenders.append(Tender(kind or "", amount))
    if "receipt_id" not in doc:
        raise BadRequest("body.receipt_id", "is missing")
    return CommitAsk(basket(doc), receipt_id(doc["receipt_id"], "body.receipt_id"), tuple(tenders))


@dataclass(frozen=True, slots=True)
class Manager:
    manager_id: str
    pin: str


@dataclass(frozen=True, slots=True)
class CancelAsk:
    manager: Manager | None
    reason: str


def cancel(doc: dict[str, Any]) -> CancelAsk:
    """Read a cancel's body: the manager who approves it (where the till has staff)."""
    m = doc.get("manager")
    manager = None
    if m is not None:  # null: no manager (a till without staff)
        md = _object(m, "body.manager")
        manager = Manager(
            _text(md, "id", "body.manager", required=True) or "",
            _text(md, "pin", "body.manager", required=True) or "",
        )
    return CancelAsk(manager, _text(doc, "reason", "body") or "")


@dataclass(frozen=True, slots=True)
class ReturnAsk:
    return_id: str  # the POS's receipt id of the return
    lines: tuple[tuple[str, int], ...]  # line key (SKU, BEANS/750g) -> units


def give_back(doc: dict[str, Any]) -> ReturnAsk:
    """Read a return's body: the POS's id for it and the lines brought back."""
    if "return_id" not in doc:
        raise BadRequest("body.return_id", "is missing")
    rid = receipt_id(doc["return_id"], "body.return_id")
    units: dict[str, int] = {}
    for i, x in enumerate(_list(doc, "lines", "body", MAX_LINES)):
        path = f"body.lines[{i}]"
        line = _object(x, path)
        sku = _text(line, "sku", path, required=True) or ""
        qty = _whole(line, "qty", path, 1, MAX_QTY)
        units[sku] = units.get(sku, 0) + (1 if qty is None else qty)
    if not units:
        raise BadRequest("body.lines", "must hold at least one line")
    return ReturnAsk(rid, tuple(sorted(units.items())))


def identify(doc: dict[str, Any]) -> WhoAsks:
    """Read an identify's body: a card, a phone QR token or a phone number."""
    return who(doc, "body", token=True)
