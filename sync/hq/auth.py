"""Terminal credentials at the reference HQ: secrets made, kept salted, checked, and
repeated failures slowed down.

A secret is made by ``secrets.token_urlsafe(32)`` (256 bits); one given by hand must
carry at least 128 bits by its length in the alphabet it uses. HQ keeps
``scrypt(sha256(secret), salt)`` (hashlib, the standard library): scrypt because it is
memory-hard (a stolen HQ file's weak secrets, such as the demo's, are not read back on
a GPU in seconds) and is what the tills use for PINs; over sha256(secret) so the
migration could convert the unsalted sha256 digests HQ kept before without knowing
the secrets. Comparisons are constant-time (``hmac.compare_digest``).

At ~40 ms a try, scrypt on every request would cost HQ a core per 25 calls a second:
a secret verified once is remembered in memory (by its sha256, per terminal and stored
hash) so the next calls compare digests. The process forgets it when it stops.

Failures are counted per (terminal, client address) in memory (the counts are lost when
HQ restarts; one HQ process sees only its own): the :data:`FREE_FAILURES`-th wrong
try in a row, and each one after it, makes that pair wait 1, 2, 4 ... up to
:data:`MAX_DELAY_S` seconds, answered 429 with Retry-After before the secret is even
looked at. Another terminal, or the same one from another address, is not held up.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import string
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
MIN_SECRET_BITS = 128
FREE_FAILURES = 3
MAX_DELAY_S = 300
MAX_TRACKED = 10_000  # (terminal, address) pairs remembered; the oldest go first

_HEX = frozenset(string.hexdigits.lower())
_URLSAFE = frozenset(string.ascii_letters + string.digits + "-_")


def new_secret() -> str:
    """A new terminal secret: 256 random bits, URL-safe text."""
    return secrets.token_urlsafe(32)


def secret_bits(secret: str) -> int:
    """The bits a secret carries at most, by its length in the alphabet it uses
    (hex digits: 4 a character; URL-safe base64: 6; anything wider counts as 6 too)."""
    per_char = 4 if secret and set(secret) <= _HEX else 6
    if len(set(secret)) < 2:
        return 0  # one character repeated carries nothing
    return int(len(secret) * per_char)


def check_secret(secret: str) -> str | None:
    """None if ``secret`` is strong enough to register; otherwise why not."""
    bits = secret_bits(secret)
    if bits < MIN_SECRET_BITS:
        need = math.ceil(MIN_SECRET_BITS / 6)
        return (
            f"a terminal secret needs at least {MIN_SECRET_BITS} bits "
            f"({need} URL-safe characters, or 32 hex digits); this one has at most {bits}. "
            "Leave --secret out and HQ makes one"
        )
    return None


def _digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode("utf-8")).digest()


def _scrypt(pre: bytes, salt: bytes) -> str:
    return hashlib.scrypt(pre, salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32).hex()


def stored_form(secret_sha256_hex: str, salt: bytes | None = None) -> str:
    """What HQ keeps for a secret given by its sha256 (hex): ``scrypt$salt$hash``."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    return f"scrypt${salt.hex()}${_scrypt(bytes.fromhex(secret_sha256_hex), salt)}"


def hash_secret(secret: str) -> str:
    """The salted hash HQ keeps for ``secret``."""
    return stored_form(_digest(secret).hex())


class Verifier:
    """Checks a secret against its stored hash; remembers the ones verified."""

    def __init__(self) -> None:
        self._known: dict[tuple[str, str], bytes] = {}
        self._lock = threading.Lock()

    def matches(self, terminal_id: str, stored: str, secret: str) -> bool:
        pre = _digest(secret)
        with self._lock:
            known = self._known.get((terminal_id, stored))
        if known is not None:
            return hmac.compare_digest(known, pre)
        scheme, _, rest = stored.partition("$")
        salt_hex, _, want = rest.partition("$")
        if scheme != "scrypt" or not want:
            return False
        ok = hmac.compare_digest(_scrypt(pre, bytes.fromhex(salt_hex)), want)
        if ok:
            with self._lock:
                if len(self._known) >= MAX_TRACKED:
                    self._known.clear()
                self._known[(terminal_id, stored)] = pre
        return ok


@dataclass
class _Failures:
    count: int
    until: float  # monotonic seconds before which this pair is not heard


class Throttle:
    """Failed authentications per (terminal, client address), in this process's memory."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._seen: OrderedDict[tuple[str, str], _Failures] = OrderedDict()
        self._lock = threading.Lock()

    def wait_s(self, terminal_id: str, address: str) -> int:
        """Seconds this pair must still wait before a try is heard (0: now)."""
        with self._lock:
            f = self._seen.get((terminal_id, address))
            left = 0.0 if f is None else f.until - self._clock()
        return max(0, math.ceil(left))

    def failed(self, terminal_id: str, address: str) -> None:
        with self._lock:
            key = (terminal_id, address)
            f = self._seen.pop(key, None) or _Failures(0, 0.0)
            f.count += 1
            if f.count >= FREE_FAILURES:
                f.until = self._clock() + min(2 ** (f.count - FREE_FAILURES), MAX_DELAY_S)
            self._seen[key] = f
            while len(self._seen) > MAX_TRACKED:
                self._seen.popitem(last=False)

    def succeeded(self, terminal_id: str, address: str) -> None:
        with self._lock:
            self._seen.pop((terminal_id, address), None)
