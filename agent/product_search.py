"""Finding products by name or code for the cashier, who adds one from the results.

Names are matched case-insensitively in any language (casefold, not SQLite's ASCII-only
LIKE), each word of the search anywhere in the name; a SKU or barcode from its start.
"""

from __future__ import annotations

from agent.model import Product
from agent.store import Store

MOST_FOUND = 50


def find_products(store: Store, text: str, most: int = MOST_FOUND) -> list[Product]:
    """Products whose SKU or barcode starts with ``text``, or whose name holds each of
    its words: exact codes first, then by name; at most ``most``."""
    words = text.casefold().split()
    if not words:
        return []
    code = text.strip().casefold()
    exact: list[str] = []
    found: list[tuple[str, str]] = []
    for sku, name, barcode in store.conn.execute("SELECT sku, name, barcode FROM products"):
        sku_f, barcode_f = str(sku).casefold(), str(barcode or "").casefold()
        if code in (sku_f, barcode_f):
            exact.append(str(sku))
        else:
            name_f = str(name).casefold()
            by_code = sku_f.startswith(code) or (barcode_f and barcode_f.startswith(code))
            if by_code or all(w in name_f for w in words):
                found.append((name_f, str(sku)))
    skus = exact + [sku for _, sku in sorted(found)]
    products = (store.catalogue.product(sku) for sku in skus[:most])
    return [p for p in products if p is not None]
