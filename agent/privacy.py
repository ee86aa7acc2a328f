"""The least a terminal holds about a customer (GDPR art. 5(1)(c), 152-FZ art. 5).

HQ keeps the customer's record; a terminal receives and keeps only what the till
uses: the name the customer chose to be greeted by, the birthday's month and day
(the birthday rule), and the phone number as a keyed hash (HMAC-SHA256 with a key
HQ sends in its signed snapshot), so a number typed at the till is hashed with the
same key and looked up, and a copy of the terminal's file gives no number away.

A phone number given at enrolment is sealed for HQ at once (X25519, HKDF-SHA256,
AES-GCM to the key HQ sends), so the journal and the outbox carry it unreadable to
anyone but HQ; the terminal keeps only its hash.

Pure computation: keys come in as hex, documents as data.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from datetime import date
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

LEAP_YEAR = 2000  # a birthday without its year is held in a leap year: 29 February fits
SEAL_PREFIX = "S1."
_SEAL_INFO = b"kassa phone seal v1"
# What HQ's record holds that a terminal is never sent (the full name, the number,
# the birthday's year, consents and contact data stay at HQ).
HQ_ONLY = ("name", "phone", "birthday", "greeting", "consents", "email", "address")


def phone_digits(text: str) -> str:
    """A phone number as it is hashed and sealed: its digits, with the country code."""
    return "".join(ch for ch in text if ch.isdigit())


def phone_hash(key_hex: str, phone: str) -> str:
    """The keyed hash a terminal looks a phone number up by (hex HMAC-SHA256)."""
    digits = phone_digits(phone)
    if not digits:
        return ""
    return hmac.new(bytes.fromhex(key_hex), digits.encode("ascii"), hashlib.sha256).hexdigest()


def greeting_of(name: str) -> str:
    """The greeting a customer gets unless they chose one: their first name."""
    return name.strip().split(" ")[0] if name.strip() else ""


def month_day(value: str) -> date:
    """A birthday as "--MM-DD" (or a full ISO date, whose year is dropped)."""
    text = f"{LEAP_YEAR}{value[1:]}" if value.startswith("--") else value
    d = date.fromisoformat(text)
    return date(LEAP_YEAR, d.month, d.day)


def month_day_text(d: date) -> str:
    return d.strftime("--%m-%d")


def for_terminal(doc: dict[str, Any], phone_key: str) -> dict[str, Any]:
    """HQ's record of a customer as a terminal receives it: the greeting (the one the
    customer chose, else their first name), the birthday's month and day, the phone's
    keyed hash; nothing else of :data:`HQ_ONLY`."""
    out = {k: v for k, v in doc.items() if k not in HQ_ONLY}
    out["greeting"] = str(doc.get("greeting") or greeting_of(str(doc.get("name") or "")))
    birthday = doc.get("birthday")
    if isinstance(birthday, str) and birthday:
        out["birthday"] = month_day_text(month_day(birthday))
    phone = phone_digits(str(doc.get("phone") or ""))
    if phone:
        out["phone_hash"] = phone_hash(phone_key, phone)
    return out


def _seal_key(shared: bytes, ephemeral: bytes, recipient: bytes) -> bytes:
    return HKDF(SHA256(), 32, salt=None, info=_SEAL_INFO + ephemeral + recipient).derive(shared)


def _raw(public: X25519PublicKey) -> bytes:
    return public.public_bytes(Encoding.Raw, PublicFormat.Raw)


def seal(public_hex: str, text: str) -> str:
    """``text`` sealed for the holder of the X25519 key ``public_hex`` (HQ)."""
    recipient = bytes.fromhex(public_hex)
    ephemeral = X25519PrivateKey.generate()
    eph = _raw(ephemeral.public_key())
    shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(recipient))
    nonce = os.urandom(12)
    box = AESGCM(_seal_key(shared, eph, recipient)).encrypt(nonce, text.encode("utf-8"), None)
    return SEAL_PREFIX + base64.urlsafe_b64encode(eph + nonce + box).decode("ascii")


def unseal(private: bytes, sealed: str) -> str:
    """Open what :func:`seal` made for ``private`` (raw X25519); ValueError if it cannot."""
    if not sealed.startswith(SEAL_PREFIX):
        raise ValueError("not a sealed value")
    try:
        raw = base64.urlsafe_b64decode(sealed[len(SEAL_PREFIX) :])
        key = X25519PrivateKey.from_private_bytes(private)
        eph, nonce, box = raw[:32], raw[32:44], raw[44:]
        shared = key.exchange(X25519PublicKey.from_public_bytes(eph))
        aead = AESGCM(_seal_key(shared, eph, _raw(key.public_key())))
        return aead.decrypt(nonce, box, None).decode("utf-8")
    except (ValueError, InvalidTag) as exc:  # binascii and unicode errors are ValueErrors
        raise ValueError("a sealed value that does not open") from exc


def new_seal_key() -> bytes:
    """A fresh X25519 private key (raw 32 bytes) for HQ to open sealed phone numbers."""
    return X25519PrivateKey.generate().private_bytes_raw()


def seal_public_hex(private: bytes) -> str:
    return _raw(X25519PrivateKey.from_private_bytes(private).public_key()).hex()
