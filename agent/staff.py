"""Cashiers and managers: personal PINs kept as salted scrypt hashes, never in clear.

Pure computation (hashlib is the standard library); the store keeps the records.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import secrets
from dataclasses import dataclass

# scrypt at n=2**14, r=8: ~50 ms and 16 MiB a try, so a stolen database's 4-6 digit
# PINs are not read back in seconds.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
MIN_PIN_DIGITS = 4


class Role(enum.Enum):
    CASHIER = "cashier"
    MANAGER = "manager"


@dataclass(frozen=True, slots=True)
class Cashier:
    cashier_id: str
    name: str
    role: Role
    pin_salt: str  # hex
    pin_hash: str  # hex scrypt(pin, salt)
    language: str = ""  # the screens' language for this cashier; "" = the terminal's


def _hash(pin: str, salt: bytes) -> str:
    return hashlib.scrypt(
        pin.encode("utf-8"), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32
    ).hex()


def new_cashier(
    cashier_id: str, name: str, role: Role, pin: str, language: str = "", salt: bytes | None = None
) -> Cashier:
    """Make a cashier record; raises ValueError for a PIN that is too weak to keep."""
    if not (pin.isdigit() and len(pin) >= MIN_PIN_DIGITS):
        raise ValueError(f"a PIN is at least {MIN_PIN_DIGITS} digits")
    salt = salt if salt is not None else secrets.token_bytes(16)
    return Cashier(cashier_id, name, role, salt.hex(), _hash(pin, salt), language)


def pin_matches(cashier: Cashier, pin: str) -> bool:
    """True if ``pin`` is the cashier's (compared in constant time)."""
    return hmac.compare_digest(_hash(pin, bytes.fromhex(cashier.pin_salt)), cashier.pin_hash)
