"""Phone QR tokens: short-lived proofs, signed by the customer's app, verified offline.

The text in the QR code is ``KQ1.<customer_id>.<issued_at>.<nonce>.<signature>``:

- ``customer_id``: HQ's customer id (letters, digits, ``-`` and ``_``, at most 64);
- ``issued_at``: when the app made the token, in whole Unix seconds;
- ``nonce``: 16 random bytes, base64url without padding;
- ``signature``: the Ed25519 signature, base64url without padding, of the UTF-8
  bytes of everything before the last dot (``KQ1.<customer_id>.<issued_at>.<nonce>``),
  made with the app's private key. HQ registered the public half and ships it in
  the customer's snapshot (``app_keys``, hex).

A terminal takes a token only while it is fresh (``lifetime_s`` after issue, with
``skew_s`` of tolerance either way) and only once: a screenshot of an earlier code
does not identify anyone. Pure computation: no I/O here.
"""

from __future__ import annotations

import base64
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from agent.words import Words, say

PREFIX = "KQ1"
_TOKEN = re.compile(
    r"KQ1\.(?P<cid>[A-Za-z0-9_-]{1,64})\.(?P<at>[0-9]{1,12})\."
    r"(?P<nonce>[A-Za-z0-9_-]{22})\.(?P<sig>[A-Za-z0-9_-]{86})"
)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class TokenPolicy:
    lifetime_s: int = 120
    skew_s: int = 30


@dataclass(frozen=True, slots=True)
class PhoneToken:
    customer_id: str
    issued_at: datetime
    nonce: str
    signed_text: str
    signature: bytes


@dataclass(frozen=True, slots=True)
class TokenRefusal:
    words: Words  # why, for the cashier


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes | None:
    """The bytes of canonical base64url ``text``, or None.

    Canonical only: the spare low bits of the last character must be zero, so no two
    texts stand for the same bytes (an altered code never passes as the genuine one).
    """
    data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    return data if _b64(data) == text else None


def _issued_at(seconds: str) -> datetime | None:
    """The moment ``seconds`` after the Unix epoch, or None outside the calendar
    (year 1 to 9999) that datetime can hold."""
    try:
        return _EPOCH + timedelta(seconds=int(seconds))
    except OverflowError:
        return None


def parse_token(text: str) -> PhoneToken | TokenRefusal:
    """Parse a scanned token; a malformed one is a refusal, never an exception."""
    unreadable = TokenRefusal(say("Phone code not readable as a kassa token: ask to refresh it"))
    m = _TOKEN.fullmatch(text.strip())
    if m is None:
        return unreadable
    issued_at = _issued_at(m["at"])
    nonce = _unb64(m["nonce"])
    signature = _unb64(m["sig"])
    if issued_at is None or nonce is None or signature is None:
        return unreadable
    signed_text, _, _ = text.strip().rpartition(".")
    return PhoneToken(m["cid"], issued_at, m["nonce"], signed_text, signature)


def check_token(
    token: PhoneToken, app_keys: Iterable[str], now: datetime, policy: TokenPolicy
) -> TokenRefusal | None:
    """Return why ``token`` must be refused at ``now``, or None if it is genuine and fresh.

    Whether its nonce was used before is the store's to say.
    """
    genuine = False
    for key in app_keys:
        try:
            Ed25519PublicKey.from_public_bytes(bytes.fromhex(key)).verify(
                token.signature, token.signed_text.encode("utf-8")
            )
            genuine = True
            break
        except (InvalidSignature, ValueError):
            continue
    if not genuine:
        return TokenRefusal(
            say("Phone code refused: its signature does not verify (forged or altered)")
        )
    age_s = (now - token.issued_at).total_seconds()
    if age_s < -policy.skew_s:
        return TokenRefusal(
            say(
                "Phone code refused: issued {seconds} s in the future (check the phone's clock)",
                seconds=f"{-age_s:.0f}",
            )
        )
    if age_s > policy.lifetime_s + policy.skew_s:
        late_s = age_s - policy.lifetime_s
        return TokenRefusal(
            say(
                "Phone code expired {seconds} s ago: ask the customer to refresh it",
                seconds=f"{late_s:.0f}",
            )
        )
    return None


def issue_token(
    customer_id: str, private_key: bytes, at: datetime, nonce: bytes | None = None
) -> str:
    """Make a token as a customer's app does (for tests, the demo and `kassa token`)."""
    n = _b64(nonce if nonce is not None else secrets.token_bytes(16))
    signed = f"{PREFIX}.{customer_id}.{int(at.timestamp())}.{n}"
    sig = Ed25519PrivateKey.from_private_bytes(private_key).sign(signed.encode("utf-8"))
    return f"{signed}.{_b64(sig)}"
