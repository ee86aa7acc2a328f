"""HQ prices every sale and return again, with the terminal's own engine, and says where
the terminal's figures are not its own.

A sale is priced again from what it records it was priced with (its lines, the ruleset
version, :class:`~agent.pricing.asked.PricedWith`), after checking those inputs against
what HQ knows (:class:`HqView`, read by :func:`sync.hq.reprice_view.view_of`):

- the ruleset version is one HQ published;
- a line's SKU is HQ's, in HQ's category, at no more than HQ's price or the price before
  HQ's last change of it (a terminal that has not heard of a lowered price yet charges
  the former one; nothing above both is accepted); a weighed line's price per kg
  likewise, and its price is its weight at it (a price label's line is at its label's);
  a line the till did not hold in its catalogue (``unlisted``: the POS sold it through
  the agent API) is at the POS's price, takes part in nothing and is priced so again;
- the customer's tier is no higher than the tier HQ gives them or their qualifying spend
  (HQ's, plus this sale's subtotal) reaches; their country, birthday and segments are
  HQ's; every coupon they hold is one HQ issued them; or all of this holds of a state
  HQ replaced lately (a tier it lowered, a segment it took away: the till, offline,
  priced with what it held; :mod:`sync.hq.history`);
- the points spent are within HQ's balance plus what the offline policy lets a terminal
  spend before HQ confirms (the customer's allowance here and ``daily_points``); a gift
  card pays at most its balance at HQ plus ``gift_card_daily_minor``.

Then the whole record the engine gives is compared with the terminal's, figure by figure
(total, discounts per rule, points earned per rule, points redeemed, reward points, the
lines, ...). A return is priced again from the original sale's lines with
:func:`agent.refunds.refund`. :func:`reprice` returns every :class:`Problem`; none means
the terminal's figures are HQ's own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from datetime import date

from agent.clock import parse_utc
from agent.event_parts import SaleLine
from agent.events import Return, Sale
from agent.model import Basket, Labelled, Line, OfflinePolicy
from agent.money import Money
from agent.pricing.asked import PricedWith
from agent.pricing.engine import quote
from agent.records import sale_record, to_gift_card
from agent.refunds import lots_given_back, refund, units_returned
from agent.ruleset import Ruleset
from agent.scale import weighed_price
from sync.hq.held import card_only_faults
from sync.hq.history import PastState


@dataclass(frozen=True, slots=True)
class Problem:
    """One figure of an event that HQ does not accept: what it is, the terminal's value
    and HQ's."""

    figure: str  # e.g. "points_earned", "discount AUTUMN15", "line COFFEE unit_minor"
    claimed: object
    hq: object

    def __str__(self) -> str:
        return f"{self.figure}: the terminal says {self.claimed}, HQ {self.hq}"


@dataclass(frozen=True, slots=True)
class HqProduct:
    category: str
    price_minor: int
    previous_price_minor: int | None = None  # before HQ's last change of the price

    @property
    def highest_minor(self) -> int:
        return max(self.price_minor, self.previous_price_minor or 0)


@dataclass(frozen=True, slots=True)
class HqCustomer:
    tier: str
    tier_spend_minor: int
    balance: int
    allowance: int = 0  # points reserved for this terminal to spend offline
    country: str = ""
    birthday: date | None = None  # only the day and month are compared
    segments: frozenset[str] = frozenset()
    coupons: frozenset[str] = frozenset()  # every coupon HQ issued them, used or not
    past: tuple[PastState, ...] = ()  # the states HQ replaced lately (sync.hq.history)

    def as_it_was(self, state: PastState) -> HqCustomer:
        """This customer with the tier, segments, country and birthday of ``state``."""
        return replace(
            self,
            tier=state.tier,
            segments=state.segments,
            country=state.country,
            birthday=state.birthday,
            past=(),
        )


@dataclass(frozen=True, slots=True)
class HqGiftCard:
    balance_minor: int
    currency: str


@dataclass(frozen=True, slots=True)
class HqView:
    """What HQ knows that bears on one event."""

    ruleset: Ruleset | None  # of the version the sale names; None: HQ never published it
    products: Mapping[str, HqProduct]  # the sale's SKUs HQ knows
    customer: HqCustomer | None  # the sale's customer, if HQ knows them
    gift_card: HqGiftCard | None  # the card that paid, if HQ knows it
    policy: OfflinePolicy
    original: Sale | None = None  # a return's sale, as HQ holds it
    earlier_returns: tuple[Return, ...] = ()  # of that sale, applied before this one


def reprice(record: Sale | Return, view: HqView, ours: Sale | None = None) -> list[Problem]:
    """Every figure of ``record`` that HQ, pricing it again, does not accept; ``ours``:
    the sale as :func:`priced_again` made it already with the ruleset of the version it
    names (:mod:`sync.hq.prepare`), or None to price it here."""
    if isinstance(record, Return):
        return _return(record, view)
    asked = record.priced_with
    if asked is None:
        return [Problem("priced_with", "missing", "needed to price the sale again")]
    rs = view.ruleset
    if rs is None:
        return [Problem("ruleset_version", record.ruleset_version, "never published")]
    problems = _lines(record, view) + _customer(record, asked, view, rs)
    problems += _spending(record, asked, view)
    if asked.tender.purchase != record.purchase:  # loads only are no purchase; others are
        problems.append(
            Problem("priced_with.tender.purchase", asked.tender.purchase, record.purchase)
        )
    if ours is None:
        ours = priced_again(record, asked, rs)
    return problems + _compare(record, ours)


def priced_again(sale: Sale, asked: PricedWith, rs: Ruleset) -> Sale:
    """The record HQ makes of ``sale`` with the engine, from what it was priced with
    (``asked``) and the ruleset of the version it names (``rs``): a function of the two
    alone, so it may be worked out before the ingest takes its turn to write."""
    if asked.revoked != rs.revoked:  # the rules HQ had revoked when the terminal priced it
        rs = replace(rs, revoked=asked.revoked)
    return _again(sale, asked, rs)


def _lines(sale: Sale, view: HqView) -> list[Problem]:
    out = []
    for ln in sale.lines:
        if ln.amount_minor != ln.unit_minor * ln.qty:
            out.append(
                Problem(f"line {ln.key} amount_minor", ln.amount_minor, ln.unit_minor * ln.qty)
            )
        if ln.unlisted:  # not in the till's catalogue: priced again as such (it takes part
            continue  # in nothing), whether HQ knows the SKU or not
        known = view.products.get(ln.sku)
        if known is None:
            out.append(Problem(f"line {ln.key}", "sold", "no such product"))
            continue
        if ln.category != known.category:
            out.append(Problem(f"line {ln.key} category", ln.category, known.category))
        if ln.weight_g:  # weighed: its price per kg is the product's, the weight the scale's
            if ln.per_kg_minor > known.highest_minor:
                out.append(
                    Problem(f"line {ln.key} per_kg_minor", ln.per_kg_minor, known.highest_minor)
                )
            due = weighed_price(Money(ln.per_kg_minor, sale.currency), ln.weight_g).minor
            if ln.unit_minor != due:
                out.append(Problem(f"line {ln.key} unit_minor", ln.unit_minor, due))
        elif not ln.label and ln.unit_minor > known.highest_minor:  # a price label's is its own
            out.append(Problem(f"line {ln.key} unit_minor", ln.unit_minor, known.highest_minor))
    return out


def _customer(sale: Sale, asked: PricedWith, view: HqView, rs: Ruleset) -> list[Problem]:
    """The customer the sale was priced with against HQ's: as HQ holds them now, or as HQ
    held them lately (a till offline prices with the state it held: a tier HQ lowered
    since, a segment it took away); the problems against the state now if none fits."""
    now = _customer_as(sale, asked, view.customer, rs)
    if not now or view.customer is None:
        return now
    at = parse_utc(sale.at)
    for state in view.customer.past:
        if state.prices(at) and not _customer_as(sale, asked, view.customer.as_it_was(state), rs):
            return []
    return now


def _customer_as(
    sale: Sale, asked: PricedWith, hq: HqCustomer | None, rs: Ruleset
) -> list[Problem]:
    claimed = asked.customer
    if claimed is None:
        return (
            []
            if sale.customer is None
            else [Problem("priced_with.customer", None, sale.customer_id)]
        )
    if sale.customer_id != claimed.customer_id:
        return [Problem("priced_with.customer", claimed.customer_id, sale.customer_id)]
    if not claimed.customer_id:  # a card alone, sold to offline (issue 15)
        return [Problem(*f) for f in card_only_faults(sale, claimed, asked.balance, rs)]
    if hq is None:
        return [Problem("customer", claimed.customer_id, "no such customer")]
    out = []
    if claimed.tier not in rs.tiers:
        out.append(Problem("tier", claimed.tier, "not a tier of the programme"))
    else:
        reach = rs.tier_held(hq.tier, hq.tier_spend_minor + sale.subtotal_minor)
        if rs.tier(claimed.tier).qualify_minor > rs.tier(reach).qualify_minor:
            out.append(Problem("tier", claimed.tier, reach))
    st = asked.standing
    if st is not None and st.tier != claimed.tier:
        out.append(Problem("priced_with.standing.tier", st.tier, claimed.tier))
    if claimed.country != hq.country:
        out.append(Problem("country", claimed.country, hq.country))
    if _md(claimed.birthday) != _md(hq.birthday):
        out.append(Problem("birthday", _day(claimed.birthday), _day(hq.birthday)))
    for seg in sorted(claimed.segments - hq.segments):
        out.append(Problem(f"segment {seg}", "theirs", "not theirs"))
    for code, _used in claimed.coupons:
        if code not in hq.coupons:
            out.append(Problem(f"coupon {code}", "issued", "never issued"))
    return out


def _day(d: date | None) -> str | None:
    return None if d is None else d.strftime("%m-%d")


def _md(d: date | None) -> tuple[int, int] | None:
    """The day and month of a birthday (what is compared: no year)."""
    return None if d is None else (d.month, d.day)


def _spending(sale: Sale, asked: PricedWith, view: HqView) -> list[Problem]:
    """Points and gift card money beyond what HQ holds plus the offline allowance."""
    out = []
    hq, policy = view.customer, view.policy
    if hq is not None and sale.points_redeemed > 0 and policy.daily_points is not None:
        most = max(0, hq.balance) + hq.allowance + policy.daily_points
        if sale.points_redeemed > most:
            out.append(Problem("points_redeemed", sale.points_redeemed, f"at most {most}"))
    if sale.gift_card is not None:
        card, paid = sale.gift_card
        known = view.gift_card
        if known is None:
            out.append(Problem(f"gift_card {card}", paid, "no such card"))
        elif known.currency != sale.currency:
            out.append(Problem(f"gift_card {card} currency", sale.currency, known.currency))
        elif policy.gift_card_daily_minor is not None:
            most = max(0, known.balance_minor) + policy.gift_card_daily_minor
            if paid > most:
                out.append(Problem(f"gift_card {card}", paid, f"at most {most}"))
    return out


def _again(sale: Sale, asked: PricedWith, rs: Ruleset) -> Sale:
    """The record HQ makes of the sale, priced with the same engine and inputs."""
    basket = Basket(sale.currency, tuple(_line(ln, sale.currency) for ln in sale.lines))
    customer = asked.customer  # as recorded: no card (the engine reads none; the record does)
    at = parse_utc(sale.at)  # HQ compares figures: the quote's words are left out
    q = quote(basket, customer, asked.balance, rs, asked.usage, at, asked.tender, explain=False)
    card = sale.gift_card[0] if sale.gift_card else None
    applied = {d.rule for d in q.discounts}  # the codes entered whose rule applied
    known = rs.codes()
    codes = sorted(c for c in asked.tender.codes if c in known and known[c].id in applied)
    # The loads are HQ's to check against the products (the ingest does): kept as claimed.
    # Who rang it up, who lifted a limit, is the terminal's to say (HQ's fraud signals read it).
    on_sale = None if sale.customer is None else sale.customer.card  # the card presented
    # What it was priced with is the sale's own inputs: the engine was asked exactly those
    # (the revoked rules set to the recorded ones), read from the body as a sale records
    # them, so q.asked.as_recorded(standing) equals them (test_reprice_fast_paths).
    st = asked.standing
    return sale_record(
        q, sale.sale_id, rs, customer, codes, card, st, kept=sale, card=on_sale, asked=asked
    )


def _line(ln: SaleLine, currency: str) -> Line:
    """A basket line as the journal line records it, with its scale label if it had one."""
    label = None
    if ln.label:
        per_kg = Money(ln.per_kg_minor, currency) if ln.weight_g else None
        label = Labelled(ln.label, ln.weight_g, per_kg)
    price = Money(ln.unit_minor, currency)
    return Line(ln.sku, ln.name, ln.qty, price, ln.category, label, ln.unlisted)


def _totals(pairs: tuple[tuple[str, int], ...]) -> dict[str, int]:
    out: dict[str, int] = {}
    for rule, amount in pairs:
        out[rule] = out.get(rule, 0) + amount
    return out


def _compare(claimed: Sale, ours: Sale) -> list[Problem]:
    """Each figure of the terminal's record that is not the one HQ's pricing gives."""
    if claimed == ours:  # every field equal: nothing to list (the usual case)
        return []
    out = []
    for name, per in (("discount", "discounts"), ("points", "awards")):
        theirs, mine = _totals(getattr(claimed, per)), _totals(getattr(ours, per))
        for rule in sorted(theirs.keys() | mine.keys()):
            if theirs.get(rule, 0) != mine.get(rule, 0):
                out.append(Problem(f"{name} {rule}", theirs.get(rule, 0), mine.get(rule, 0)))
    for ln, mine_ln in zip(claimed.lines, ours.lines, strict=True):
        for f in fields(ln):
            a, b = getattr(ln, f.name), getattr(mine_ln, f.name)
            if a != b:
                out.append(Problem(f"line {ln.key} {f.name}", a, b))
    for f in fields(claimed):
        if f.name in ("discounts", "awards", "lines"):
            continue  # compared above, rule by rule and line by line
        a, b = getattr(claimed, f.name), getattr(ours, f.name)
        if a != b:
            out.append(Problem(f.name, a, b))
    return out


def _return(ret: Return, view: HqView) -> list[Problem]:
    """A return's money and points as :func:`~agent.refunds.refund` gives them from the
    original sale's lines, after the earlier returns of it."""
    sale = view.original
    if sale is None or sale.sale_id != ret.original_sale_id:
        return [Problem("original_seq", ret.original_seq, "no such sale of this terminal")]
    before = units_returned(ln for r in view.earlier_returns for ln in r.lines)
    asked = units_returned(ret.lines)
    ours = refund(sale.lines, asked, before)
    out = [Problem("lines", "returned", str(why)) for why in ours.refusals]
    if out:
        return out
    mine = {ln.sku: ln for ln in ours.lines}
    for ln in ret.lines:
        if ln != mine.get(ln.sku):
            out.append(Problem(f"line {ln.sku}", ln, mine.get(ln.sku)))
    for name, claimed, figure in (
        ("total_minor", ret.total_minor, -ours.money_minor),
        ("points_earned", ret.points_earned, -ours.points_reversed),
        ("points_redeemed", ret.points_redeemed, -ours.points_restored),
    ):
        if claimed != figure:
            out.append(Problem(name, claimed, figure))
    if ret.customer_id != sale.customer_id:
        out.append(Problem("customer", ret.customer_id, sale.customer_id))
    restored_before = refund(sale.lines, before).points_restored
    lots = lots_given_back(sale.spent_lots, restored_before, ours.points_restored)
    if ours.points_restored and ret.restored_lots != lots:
        out.append(Problem("restored_lots", ret.restored_lots, lots))
    return out + _card_back(ret, sale, view, ours.money_minor)


def _card_back(ret: Return, sale: Sale, view: HqView, money_minor: int) -> list[Problem]:
    """Money back onto the gift card as the terminal gives it (:func:`to_gift_card`): the
    card that paid, first, up to what it paid less what earlier returns credited back."""
    credited = sum(r.gift_card[1] for r in view.earlier_returns if r.gift_card)
    due = to_gift_card(sale, money_minor, credited)
    back = ret.gift_card[1] if ret.gift_card else 0
    card = ret.gift_card[0] if ret.gift_card else None
    if back and (sale.gift_card is None or sale.gift_card[0] != card):
        return [Problem(f"gift_card {card}", back, "did not pay the sale")]
    return [Problem("gift_card amount_minor", back, due)] if back != due else []
