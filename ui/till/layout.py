"""The checkout screen's layout and colours.

At 80x24 the sale takes the whole width: the customer in two or three lines, at least
six basket lines, then the total on a line of its own that no text above can push
away, a few lines of detail, the message, the entry and the keys. A taller screen gives
the basket the rows; a wide one (110 columns and more) adds a side panel with the
customer, why each discount and point, and the receipt preview.
"""

from __future__ import annotations

from textual.theme import Theme

CHECKOUT_CSS = """
#status { height: 1; background: $primary; color: $text; padding: 0 1; }
#status.offline { background: $error; }
#status.stale { background: $warning; }
#main { height: 1fr; }
#left { width: 2fr; }
#customer { height: auto; max-height: 3; background: $panel; padding: 0 1; }
#lines { height: 1fr; min-height: 7; }
#total { height: 1; padding: 0 1; text-style: bold; background: $secondary 30%; }
#totals { height: auto; max-height: 4; padding: 0 1; }
#side { width: 46; }
#side-customer { height: auto; border: round $secondary; padding: 0 1; }
#why { height: auto; max-height: 14; border: round $secondary; padding: 0 1; }
#receipt-pane { height: 1fr; border: round $secondary; padding: 0 1; }
#receipt { width: auto; }
#message { height: 1; padding: 0 1; }
#message.refused { background: $error; color: $text; }
#message.price-check { background: $warning; color: $text; }
#entry { height: 1; border: none; padding: 0 1; background: $boost; }
#keys { height: auto; max-height: 4; background: $panel; color: $text; padding: 0 1; }
/* 80 columns: the sale takes the whole width; the side panel needs a wider screen */
Screen.-narrow #side { display: none; }
Screen.-wide #customer { display: none; }
Screen.-wide #totals { max-height: 8; }
"""

# Black, white and pure colours: readable in sunlight and for weaker eyes.
HIGH_CONTRAST = Theme(
    name="kassa-high-contrast",
    primary="#FFFF00",
    secondary="#00FFFF",
    accent="#FFFF00",
    foreground="#FFFFFF",
    background="#000000",
    surface="#000000",
    panel="#202020",
    warning="#FFA500",
    error="#FF3030",
    success="#00FF00",
    dark=True,
)
