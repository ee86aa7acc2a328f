"""kassa's core: money, model, rules, store, checkout session. No I/O edges here."""
