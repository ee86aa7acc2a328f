"""Words for a person, kept translatable: a catalog template and the values it names.

The agent says why it refused a scan, a code or a promotion, and what each discount and
point is for, as ``Words``: English when printed with ``str()`` (JSON, logs, HQ), and
in the cashier's language when a screen passes them to ``Texts.say``. The template is
the gettext msgid in ``agent/locale/*.po``; ``say("...")`` marks it for the catalogs.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

Params = tuple[tuple[str, object], ...]


@dataclass(frozen=True, slots=True)
class Words:
    template: str
    params: Params = ()
    plural: str = ""  # the template for a count other than one (gettext's msgid_plural)
    count: int = 0  # the count that chooses between them (and among a language's forms)

    def __str__(self) -> str:
        template = self.plural if self.plural and abs(self.count) != 1 else self.template
        if not self.params:
            return template
        return template.format(**{k: english(v) for k, v in self.params})


def N_(message: str) -> str:
    """Mark ``message`` for the catalogs where it is translated later (``t(label)``)."""
    return message


# Words that name no value, made once each (they are values: one serves every reason
# of the kind); as many as there are templates in the code, and no more are kept.
_PLAIN: dict[str, Words] = {}
_PLAIN_KEPT = 1024


def say(template: str, **params: object) -> Words:
    if not params:
        words = _PLAIN.get(template)
        if words is None:
            words = Words(template)
            if len(_PLAIN) < _PLAIN_KEPT:
                _PLAIN[template] = words
        return words
    if len(params) < 2:  # nothing to sort (most reasons name one value)
        return Words(template, tuple(params.items()))
    return Words(template, tuple(sorted(params.items())))


def say_n(singular: str, plural: str, count: int, **params: object) -> Words:
    """Words whose form depends on ``count`` (1 point, 2 points; 2 балла, 5 баллов)."""
    return Words(singular, tuple(sorted(params.items())), plural, count)


def points_of(n: int) -> Words:
    """A number of points, in the form a language counts them: "1 point", "2 балла"."""
    return say_n("{n} point", "{n} points", n, n=n)


def english(v: object) -> object:
    """A value as the English text shows it: a fraction as a decimal (1.5, 12.5)."""
    if isinstance(v, Fraction):
        exact = Decimal(v.numerator) / Decimal(v.denominator)
        return format(exact.normalize(), "f")
    if isinstance(v, Words):
        return str(v)
    if isinstance(v, tuple) and all(isinstance(w, Words) for w in v):
        return "; ".join(str(w) for w in v)  # several reasons, each translated on its own
    return v
