"""The fraud signals of `kassa hq report` in plain words, for HQ staff (English, as the
rest of the report)."""

from __future__ import annotations

from typing import Any

from agent.money import Money


def _refs(events: list[dict[str, Any]]) -> str:
    """A few events as terminal/seq (sale id) at time."""
    shown = [f"{e['terminal_id']}/{e['seq']} ({e['sale_id']}) at {e['at']}" for e in events[:3]]
    more = f" and {len(events) - 3} more" if len(events) > 3 else ""
    return ", ".join(shown) + more


def fraud_lines(fraud: dict[str, Any]) -> list[str]:
    """One line (or two) per entry of each signal; a single line when none trips."""
    s = fraud["settings"]
    out = []
    for e in fraud["own_card"]:
        out.append(
            f"  OWN CARD: cashier {e['cashier']} ({e['name']}) rang up {e['sales']} sale(s) "
            f"and {e['returns']} return(s) on their own card {e['card']}: {_refs(e['events'])}"
        )
    for e in fraud["concentrated_cards"]:
        cards = ", ".join(f"{c['card']} ({c['sales']})" for c in e["top_cards"])
        out.append(
            f"  FEW CARDS: {e['top_share_percent']}% of cashier {e['cashier']}'s "
            f"{e['loyalty_sales']} loyalty sales went to {len(e['top_cards'])} card(s) of "
            f"{e['cards']}: {cards}"
        )
    for e in fraud["quick_returns"]:
        pairs = "; ".join(
            f"{p['sale']['sale_id']} earned {p['sale']['points_earned']} points, returned "
            f"{p['hours_between']} h later ({p['return']['sale_id']})"
            for p in e["pairs"][:3]
        )
        out.append(
            f"  EARN THEN RETURN: customer {e['customer_id']} returned {e['quick_returns']} "
            f"sales within {s['return_within_days']} days of earning on them: {pairs}"
        )
    for e in fraud["too_fast_travel"]:
        a, b = e["uses"]
        out.append(
            f"  TOO FAST TRAVEL: card {e['card']} ({e['customer_id']}) used at store "
            f"{a['store_id']} ({a['terminal_id']}/{a['seq']} at {a['at']}) and at store "
            f"{b['store_id']} ({b['terminal_id']}/{b['seq']} at {b['at']}), "
            f"{e['minutes_between']} min apart (less than {s['travel_minutes']})"
        )
    for e in fraud["manager_overrides"]:
        out.append(
            f"  OVERRIDES: manager {e['manager']} approved {e['voids']} void(s) and "
            f"{e['adjustments']} point adjustment(s) moving {e['points_adjusted']} points "
            f"({e['self_approved']} for themselves) from {e['first_at']} to {e['last_at']}"
        )
    for e in fraud["negative_points"]:
        out.append(
            f"  NEGATIVE balance {e['customer_id']}: {e['balance']} points (card {e['card']}); "
            f"latest: {_refs(e['events'])}"
        )
    for e in fraud["negative_gift_cards"]:
        owed = Money(e["balance_minor"], e["currency"])
        out.append(f"  NEGATIVE gift card {e['card']}: {owed}; paid: {_refs(e['events'])}")
    since = fraud["window"]["since"] or "the first event"
    head = f"fraud signals since {since}: " + ("none" if not out else f"{len(out)}")
    return [head, *out]
