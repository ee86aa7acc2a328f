"""The terminal's sync loop: upload the outbox, download snapshots, never block a sale.

It runs in a thread of its own with its own SQLite connection. The checkout only
ever reads :meth:`SyncWorker.status` and calls :meth:`SyncWorker.wake`.
"""

from __future__ import annotations

import enum
import json
import logging
import random
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from agent.clock import Clock, parse_utc
from agent.errors import (
    DocumentRefused,
    HqBusy,
    HqProtocolError,
    HqUnreachable,
    InvalidRuleset,
    KassaError,
    PageRefused,
)
from agent.store import Store
from agent.store.catalogue import PAGE_KEY
from agent.tendering import note_hq_reachable
from agent.words import Words, say
from sync.client import HqClient
from sync.wire import MAX_REQUEST_BYTES, Ack, PageKey, Snapshot, parse_page_key

log = logging.getLogger(__name__)


class SyncState(enum.Enum):
    STARTING = "starting"
    ONLINE = "online"
    OFFLINE = "offline"
    REFUSED = "refused"  # HQ answered, but with something kassa will not take


@dataclass(frozen=True, slots=True)
class SyncStatus:
    state: SyncState
    pending: int
    last_sync_at: datetime | None
    message: str
    stale: bool = False  # the last snapshot is older than HQ's policy allows
    skew_s: float | None = None  # this clock minus HQ's, when beyond the tolerance
    notes: tuple[Words, ...] = ()  # the message, in words a screen translates


@dataclass(frozen=True, slots=True)
class SyncPolicy:
    batch_size: int = 200
    interval_s: float = 2.0
    download_every_s: float = 10.0
    backoff_base_s: float = 0.5
    backoff_max_s: float = 30.0
    max_skew_s: float = 120.0  # a clock further than this from HQ's is reported
    max_request_bytes: int = MAX_REQUEST_BYTES  # HQ answers 413 to a longer upload
    pages_per_round: int = 20  # snapshot pages a round applies before uploading again


class SyncWorker:
    def __init__(
        self,
        db_path: str | Path,
        client: HqClient,
        clock: Clock,
        policy: SyncPolicy | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self._db_path = db_path
        self._client = client
        self._clock = clock
        self.policy = policy or SyncPolicy()
        self._rng = rng or random.Random()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._failures = 0
        self._last_download: datetime | None = None
        self._status = SyncStatus(SyncState.STARTING, 0, None, "")
        self._skew_s: float | None = None
        self._retry_after_s: float | None = None  # HQ busy: send again after this
        self._poll_now = False  # an upload changed what HQ sends this till back

    # -- what the checkout sees -------------------------------------------------------
    def status(self) -> SyncStatus:
        with self._lock:
            return self._status

    def wake(self) -> None:
        """Ask for an upload now (after a sale), without waiting for it."""
        self._wake.set()

    # -- one cycle ------------------------------------------------------------------------
    def run_once(self, store: Store) -> SyncStatus:
        """Upload everything pending, then download if due; return the new status.

        Uploading comes first and a refused snapshot does not stop it: sales reach HQ
        whatever HQ sends back. A download is due every ``download_every_s``, while a
        pass of pages is under way, and at once after an upload that changed what HQ
        sends back (:meth:`upload_all`): the till's own sales HQ stored as they were are
        in its balances already.
        """
        state, note, busy = SyncState.ONLINE, None, False
        try:
            self.upload_all(store)
            now = self._clock.now()
            due = (
                self._poll_now
                or self._last_download is None
                or store.catalogue.snapshot_position()[1] is not None
                or ((now - self._last_download).total_seconds() >= self.policy.download_every_s)
            )
            if due:
                try:
                    if not self.download(store, self.policy.pages_per_round):
                        self._wake.set()  # more pages: the next round, after the uploads
                    self._last_download, self._poll_now = now, False
                except HqUnreachable:
                    raise
                except KassaError as exc:  # refused, or the store could not apply it
                    state, note = SyncState.REFUSED, _not_applied(exc)
        except HqBusy as exc:  # not a fault: HQ asks to be sent the rest a little later
            busy = True
            self._retry_after_s = min(exc.retry_after_s, self.policy.backoff_max_s)
        except HqUnreachable as exc:
            state, note = SyncState.OFFLINE, exc.words()
        except KassaError as exc:  # HQ's reply refused, or the store failed the upload
            state, note = SyncState.REFUSED, exc.words()
        self._failures = 0 if state is SyncState.ONLINE else self._failures + 1
        self._set(store, state, note, synced=state is SyncState.ONLINE and not busy)
        return self.status()

    def download(self, store: Store, max_pages: int | None = None) -> bool:
        """Download HQ's changes page by page, at most ``max_pages`` (None: to the end of
        the pass); each page is applied in its own short transaction with the key of the
        next, so a sale never waits long behind it and a till stopped half-way resumes at
        the next page. While a page is applied the next is already asked of HQ (one page
        ahead: HQ builds one while the till applies the other). Returns True when the pass
        is complete (the cursor moved)."""
        with ThreadPoolExecutor(1, thread_name_prefix="kassa-page") as ahead:
            return self._download(store, max_pages, ahead)

    def _download(self, store: Store, max_pages: int | None, pool: ThreadPoolExecutor) -> bool:
        pages = 0
        asked: tuple[int, int, PageKey] | None = None  # what the page fetched ahead is
        fetched: Future[Snapshot] | None = None
        while max_pages is None or pages < max_pages:
            cursor, page_text, epoch = store.catalogue.snapshot_position()
            page = None if page_text is None else parse_page_key(json.loads(page_text))
            held = store.catalogue.ruleset()
            version = held.version if held else 0
            try:
                if fetched is not None and asked == (cursor, version, page):
                    snap = fetched.result()  # its faults are raised here, as if asked now
                else:
                    snap = self._client.snapshot(cursor, version, page)
            except PageRefused:  # HQ serves no such page (restored?): start the pass again
                with store.file.atomic():
                    store.file.forget_meta(PAGE_KEY)
                raise
            finally:
                fetched = None
            hq_time = self.check_clock(store, snap.hq_time)
            self.check(snap, cursor, version, page)
            holding = snap.holding
            if (
                holding is not None
                and str(holding.epoch) != epoch
                and (epoch is not None or holding.mode != "all")
            ):  # another setting of which customers this store holds: hold afresh
                store.catalogue.hold_from_scratch(str(holding.epoch))
                continue
            if snap.next is not None and (max_pages is None or pages + 1 < max_pages):
                asked = (cursor, version, snap.next)
                fetched = pool.submit(self._client.snapshot, cursor, version, snap.next)
            store.catalogue.apply_snapshot(
                products=snap.products,
                customers=snap.customers,
                ruleset=snap.ruleset,
                cursor=str(snap.cursor),
                received_at=self._clock.now(),
                quotas=snap.quotas,
                revoked=snap.revoked,
                gift_cards=snap.gift_cards,
                policy=snap.policy,
                hq_time=hq_time,
                hq_keys=snap.hq_keys,
                next_page=None if snap.next is None else json.dumps(snap.next.to_doc()),
                holding_epoch=None if holding is None else str(holding.epoch),
            )
            pages += 1
            if snap.next is None:
                return True
        return False

    def check(
        self, snap: Snapshot, cursor: int, held_version: int, page: PageKey | None = None
    ) -> None:
        """Refuse a verified snapshot page that is not for now, for us and of the pass
        asked for; raises DocumentRefused."""
        now = self._clock.now()
        if snap.terminal_id != self._client.terminal_id:
            raise DocumentRefused(f"snapshot addressed to {snap.terminal_id!r}, not to this till")
        if page is not None and snap.cursor != page.upto:
            raise DocumentRefused(f"a page of pass {snap.cursor}, not of the pass asked for")
        try:
            expires = parse_utc(snap.expires_at)
        except ValueError:
            raise DocumentRefused("snapshot without a valid expiry") from None
        if expires <= now:
            raise DocumentRefused(f"snapshot expired at {snap.expires_at}; the old data is kept")
        if snap.cursor < cursor:
            raise DocumentRefused(
                f"snapshot {snap.cursor} is older than the held {cursor} (rollback); kept the held"
            )
        if snap.ruleset is not None and snap.ruleset.version <= held_version:
            raise InvalidRuleset(
                f"HQ sent ruleset {snap.ruleset.version}, "
                f"not newer than the held {held_version}; kept the held one"
            )

    def check_clock(self, store: Store, hq_time: str) -> datetime:
        """Compare this clock with the time in HQ's reply; record both when too far apart;
        return HQ's time.

        Only a warning: seq, not wall time, orders the journal, and HQ stamps what it
        receives with its own clock. Both times are written down where later than those
        seen before: the offline limits never go back before them (:mod:`agent.timefloor`).
        """
        try:
            theirs = parse_utc(hq_time)
        except ValueError:
            raise HqProtocolError(f"HQ's time {hq_time!r} is not an ISO time with offset") from None
        mine = self._clock.now()
        store.catalogue.note_times(mine, theirs)
        skew = (mine - theirs).total_seconds()
        if abs(skew) <= self.policy.max_skew_s:
            self._skew_s = None
            return theirs
        if self._skew_s is None or abs(skew - self._skew_s) > self.policy.max_skew_s:
            store.catalogue.record_clock_skew(mine, theirs)  # once per episode, not per reply
        self._skew_s = skew
        return theirs

    def upload_all(self, store: Store) -> int:
        """Send the outbox in batches until it is empty; return how many HQ acknowledged.

        A batch that HQ did not store as sent (quarantined, a conflict), or after which
        HQ says it changed what it sends back (``refresh``), has the round download at
        once."""
        acked = 0
        while True:
            batch = store.ledger.pending_events(self.policy.batch_size)
            if not batch:
                return acked
            events = fitting([e.to_wire() for e in batch], self.policy.max_request_bytes)
            batch = batch[: len(events)]
            ack = self._client.upload(events)
            self._poll_now = self._poll_now or _changes_what_hq_sends(events, ack)
            self.check_clock(store, ack.hq_time)
            first, last = batch[0].seq, batch[-1].seq
            with store.file.atomic():
                if ack.expected_seq < first:
                    # HQ holds less than we thought (restored from a backup): resend.
                    store.ledger.resend_from(ack.expected_seq)
                else:
                    # Never take an ack for more than was sent: a wrong reply loses nothing.
                    acked += store.ledger.mark_acked(
                        min(ack.acked_through, last), self._clock.now()
                    )
                    # Acknowledged, never sent again, and listed on the status page.
                    store.ledger.note_quarantined(
                        {s: r for s, r in ack.reasons.items() if first <= s <= last},
                        self._clock.now(),
                    )
            if ack.acked_through < first <= ack.expected_seq:
                raise HqProtocolError(f"HQ stored none of the batch from seq {first}")

    def _set(
        self, store: Store, state: SyncState, note: Words | None, synced: bool = False
    ) -> None:
        stats = store.ledger.outbox_stats()
        now = self._clock.now()
        # What the sales made until the next round record: HQ reachable (it answered,
        # even to refuse) or not (agent.tendering.hq_reachable; the day report counts them).
        note_hq_reachable(store, state is not SyncState.OFFLINE)
        store.catalogue.note_times(now)  # offline too: staleness counts on past a clock set back
        stale = store.catalogue.offline_state(now).stale
        notes = [note] if note else []
        if stale:
            notes.append(say("HQ data is stale: points spending is limited"))
        if self._skew_s is not None:
            seconds = f"{self._skew_s:+.0f}"
            notes.append(say("clock is {seconds} s off HQ's: check the time", seconds=seconds))
        with self._lock:
            self._status = SyncStatus(
                state,
                stats.pending,
                now if synced else self._status.last_sync_at,
                "; ".join(str(n) for n in notes),
                stale,
                self._skew_s,
                tuple(notes),
            )

    def backoff_s(self) -> float:
        """The wait HQ asked for when busy; else exponential backoff with full jitter after
        consecutive failures."""
        if self._retry_after_s is not None:
            wait, self._retry_after_s = self._retry_after_s, None
            return wait
        if self._failures == 0:
            return self.policy.interval_s
        cap = min(self.policy.backoff_max_s, self.policy.backoff_base_s * 2**self._failures)
        return self._rng.uniform(self.policy.backoff_base_s, cap)

    # -- the thread -------------------------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="kassa-sync", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def round(self, store: Store) -> SyncStatus:
        """One round of the thread: :meth:`run_once`, and whatever it raises becomes the
        status (refused, with the reason) instead of the end of the thread."""
        try:
            return self.run_once(store)
        except KassaError as exc:  # e.g. the store failed while the status was read
            note = exc.words()
        except Exception as exc:  # a fault nobody foresaw: say it, log it, sync on
            log.exception("sync round failed")
            note = say("Sync fault, retrying: {error}", error=f"{type(exc).__name__}: {exc}")
        self._failures += 1
        with self._lock:
            self._status = replace(
                self._status, state=SyncState.REFUSED, message=str(note), notes=(note,)
            )
        return self._status

    def _run(self) -> None:
        store = Store.open(self._db_path)  # unmapped: it applies whole snapshots
        try:
            while not self._stop.is_set():
                self.round(store)
                self._wake.wait(self.backoff_s())
                self._wake.clear()
        finally:
            store.close()


def fitting(events: list[dict[str, object]], max_bytes: int) -> list[dict[str, object]]:
    """The first of ``events`` that fit in one upload of at most ``max_bytes`` (at least
    one: an event HQ's limit on a body lets through always fits). Measured as ASCII JSON,
    never shorter than what is sent."""
    size = len(json.dumps({"events": []}))
    for i, event in enumerate(events):
        size += len(json.dumps(event)) + 2  # and the separator
        if size > max_bytes and i > 0:
            return events[:i]
    return events


def _changes_what_hq_sends(events: list[dict[str, object]], ack: Ack) -> bool:
    """Whether HQ's answer to ``events`` changes what it sends this till back: HQ says
    so (a tier changed, a customer enrolled or credited by card), or an event HQ did not
    store as the till made it."""
    sent = {e.get("seq") for e in events}
    return ack.refresh or any(
        status not in ("stored", "duplicate") for seq, status in ack.statuses.items() if seq in sent
    )


def _not_applied(exc: KassaError) -> Words:
    """Why a snapshot was not taken: HQ's document refused, or the store failed to apply it."""
    if isinstance(exc, HqProtocolError | InvalidRuleset | DocumentRefused):
        return exc.words()
    return say("HQ's data not applied: {why}", why=exc.words())
