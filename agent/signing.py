"""Ed25519 signatures over canonical JSON: what HQ sends is signed, the terminal verifies.

Pure computation (no I/O): keys come in as bytes or hex, documents as data.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from agent.errors import DocumentRefused
from agent.journal import canonical


@dataclass(frozen=True, slots=True)
class Signed:
    """A signed document as it travels: the exact text that was signed, and the signature."""

    document: str
    signature: str  # hex

    def to_wire(self) -> dict[str, str]:
        return {"document": self.document, "signature": self.signature}


def new_private_key() -> bytes:
    """Return a fresh Ed25519 private key (32 raw bytes)."""
    return Ed25519PrivateKey.generate().private_bytes(
        Encoding.Raw, PrivateFormat.Raw, NoEncryption()
    )


def public_key_hex(private: bytes) -> str:
    """Return the hex public key of a raw private key."""
    key = Ed25519PrivateKey.from_private_bytes(private).public_key()
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw).hex()


def sign(doc: dict[str, Any], private: bytes) -> Signed:
    """Sign the canonical JSON text of ``doc``."""
    text = canonical(doc)
    sig = Ed25519PrivateKey.from_private_bytes(private).sign(text.encode("utf-8"))
    return Signed(text, sig.hex())


def verify(wire: object, public_hex: str) -> dict[str, Any]:
    """Return the document inside ``wire`` if its signature verifies against ``public_hex``.

    Raises DocumentRefused when it is unsigned, malformed or altered.
    """
    if not isinstance(wire, dict) or not isinstance(wire.get("document"), str):
        raise DocumentRefused("not a signed document (unsigned or truncated)")
    sig = wire.get("signature")
    if not isinstance(sig, str):
        raise DocumentRefused("the document carries no signature")
    try:
        key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_hex))
        key.verify(bytes.fromhex(sig), wire["document"].encode("utf-8"))
    except (ValueError, InvalidSignature):
        raise DocumentRefused(
            "the signature does not verify: altered, or not from this HQ"
        ) from None

    try:
        doc = json.loads(wire["document"])
    except (json.JSONDecodeError, RecursionError):  # RecursionError: nested too deep
        raise DocumentRefused("the signed text is not JSON kassa can read") from None
    if not isinstance(doc, dict):
        raise DocumentRefused("the signed document is not an object")
    return doc
