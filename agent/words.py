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

    def __str__(self) -> str:
        if not self.params:
            return self.template
        return self.template.format(**{k: english(v) for k, v in self.params})


def N_(message: str) -> str:
    """Mark ``message`` for the catalogs where it is translated later (``t(label)``)."""
    return message


def say(template: str, **params: object) -> Words:
    return Words(template, tuple(sorted(params.items())))


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
