"""`kassa doctor`'s checks against HQ: reachable, signing with the key the till trusts,
taking this till's credential, and a clock that agrees with the till's."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from email.utils import parsedate_to_datetime

import httpx

from agent.clock import parse_utc
from agent.errors import DocumentRefused, HqProtocolError, HqUnreachable, KassaError
from agent.store import Store
from sync.client import HqClient, read_public_key
from ui.commands.findings import Finding, error, ok, warning
from ui.config import Config

HQ_TIMEOUT_S = 3.0  # doctor does not wait on a dead HQ for the till's own timeout
HQ_TODO = "check the network, [hq] url, and that HQ runs (kassa hq)"
KEY_TODO = "at HQ: kassa hq public-key --db HQ_DB; put that hex in [hq] public_key"


def _hq_time(response: httpx.Response) -> datetime | None:
    """HQ's clock from its health reply (``hq_time``), else its Date header."""
    try:
        doc = response.json()
        if isinstance(doc, dict) and isinstance(doc.get("hq_time"), str):
            return parse_utc(doc["hq_time"])
    except ValueError:
        pass
    date = response.headers.get("date")
    try:
        return parsedate_to_datetime(date) if date else None
    except (TypeError, ValueError):
        return None


def clock(cfg: Config, mine: datetime, theirs: datetime) -> Finding:
    """The till's clock against HQ's: beyond the phone tokens' tolerance a warning (a
    customer's fresh code may be refused), beyond the till's own limit an error."""
    skew_s = (mine - theirs).total_seconds()
    warn_s = min(cfg.tokens.skew_s, cfg.hq.max_skew_s)
    says = f"this clock is {round(skew_s):+d} s off HQ's"
    todo = "set up time sync: timedatectl set-ntp true (systemd-timesyncd or chrony)"
    if abs(skew_s) > cfg.hq.max_skew_s:
        return error("clock", f"{says} (more than {cfg.hq.max_skew_s:.0f} s)", todo)
    if abs(skew_s) > warn_s:
        return warning(
            "clock", f"{says}: phone codes may be refused (tolerance {warn_s:.0f} s)", todo
        )
    return ok("clock", f"{says} (within {warn_s:.0f} s)")


def _position(store: Store | None) -> tuple[int, int]:
    """The snapshot cursor and ruleset version the till holds: HQ then sends little."""
    if store is None:
        return 0, 0
    try:
        ruleset = store.catalogue.ruleset()
        return store.catalogue.snapshot_position()[0], ruleset.version if ruleset else 0
    except KassaError:
        return 0, 0


def signed_reply(cfg: Config, key: str, store: Store | None, timeout_s: float) -> Finding:
    """Ask HQ for what changed (as the till does) and verify its signature."""
    client = HqClient(cfg.hq.url, cfg.terminal_id, cfg.hq.secret, key, timeout_s=timeout_s)
    try:
        client.snapshot(*_position(store))
    except DocumentRefused as exc:
        return error(
            "hq key",
            f"HQ's reply does not verify with the key in [hq] public_key ({exc.detail}): "
            "the till refuses everything HQ sends",
            KEY_TODO,
        )
    except HqProtocolError as exc:
        if "(401)" in exc.detail or "(403)" in exc.detail:
            return error(
                "hq login",
                f"HQ refuses terminal {cfg.terminal_id}'s credential: {exc.detail}",
                "check terminal_id and [hq] secret; at HQ: kassa hq add-terminal --id "
                f"{cfg.terminal_id} (prints a new secret)",
            )
        return error("hq key", f"HQ's reply is not understood: {exc.detail}", HQ_TODO)
    except HqUnreachable as exc:
        return error("hq key", f"HQ did not answer the signed request: {exc.detail}", HQ_TODO)
    finally:
        client.close()
    return ok("hq key", "HQ signs with the key this till trusts and takes its credential")


def hq_checks(
    cfg: Config, store: Store | None, now: Callable[[], datetime], timeout_s: float = HQ_TIMEOUT_S
) -> list[Finding]:
    """Reachability, the clock, then the key and credential (each named in its finding)."""
    if not cfg.hq.public_key:
        return [error("hq key", "[hq] public_key is not set: the till does not start", KEY_TODO)]
    try:
        key = read_public_key(cfg.hq.public_key)
        bytes.fromhex(key)
    except (OSError, ValueError) as exc:
        return [error("hq key", f"[hq] public_key {cfg.hq.public_key}: {exc}", KEY_TODO)]
    url = cfg.hq.url.rstrip("/")
    before = now()
    try:
        response = httpx.get(f"{url}/v1/health", timeout=timeout_s)
    except httpx.HTTPError as exc:
        return [error("hq", f"HQ at {url} cannot be reached: {type(exc).__name__}: {exc}", HQ_TODO)]
    after = now()
    if response.status_code != 200:
        return [error("hq", f"HQ at {url} answered {response.status_code}", HQ_TODO)]
    found = [ok("hq", f"HQ at {url} answers")]
    theirs = _hq_time(response)
    if theirs is None:
        found.append(warning("clock", "HQ did not say its time", "upgrade HQ"))
    else:
        found.append(clock(cfg, before + (after - before) / 2, theirs))
    found.append(signed_reply(cfg, key, store, timeout_s))
    return found
