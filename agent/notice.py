"""What the cashier reads after each action: a Notice, translatable, never an exception."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from agent.money import Points
from agent.pricing.result import Quote
from agent.words import Words, say


class NoticeKind(enum.Enum):
    DONE = "done"
    REFUSED = "refused"
    ASK = "ask"  # nothing happened yet: the cashier confirms or declines (a second card)


@dataclass(frozen=True, slots=True)
class Notice:
    """What the cashier reads: ``words``, English as ``text``, and translatable by a
    screen into the cashier's language (``Texts.say``)."""

    kind: NoticeKind
    words: Words

    @property
    def text(self) -> str:
        return str(self.words)

    @property
    def refused(self) -> bool:
        return self.kind is NoticeKind.REFUSED


def also(notice: Notice, more: Words | None) -> Notice:
    """``notice`` with ``more`` said after it (what an action changed besides)."""
    if more is None:
        return notice
    return Notice(notice.kind, say("{what}; {more}", what=notice.words, more=more))


def done(template: str, **params: object) -> Notice:
    return Notice(NoticeKind.DONE, say(template, **params))


def refused(template: str, **params: object) -> Notice:
    return Notice(NoticeKind.REFUSED, say(template, **params))


@dataclass(frozen=True, slots=True)
class CommittedSale:
    seq: int
    sale_id: str
    quote: Quote | None  # None for a return
    balance_after: Points | None
