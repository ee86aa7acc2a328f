"""Pricing: a basket, a customer and the ruleset in, a quote out; a pure function.

- :mod:`agent.pricing.inputs`: what a quote is asked beyond the basket (``Usage``, ``Tender``);
- :mod:`agent.pricing.asked`: what a quote was priced with, as a sale records it (``PricedWith``);
- :mod:`agent.pricing.result`: what a quote says (``Quote``, its lines, discounts, awards,
  refusals) and ``max_redeemable``;
- :mod:`agent.pricing.worksheet`: one quote's working state while it is priced;
- :mod:`agent.pricing.eligibility`: who may use a rule now, and why not;
- :mod:`agent.pricing.discounts`: what a rule takes off, exclusive groups, the cap;
- :mod:`agent.pricing.paying`: paying with points;
- :mod:`agent.pricing.earning`: points earned, bonuses, and which point lots are spent;
- :mod:`agent.pricing.engine`: :func:`~agent.pricing.engine.quote`, the order of application.
"""
