"""HQ whose database cannot be reached (gone, an I/O error, its disk full; a PostgreSQL
server down) answers 503 with Retry-After, as when it is busy: never a 500, so a
terminal keeps its events and sends them again. The store is a fake here that fails
as the real one does (with kassa's own errors); the real one failing under load is
tests/sync/test_hq_workers.py."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from sqlite3 import Connection

import pytest
from starlette.testclient import TestClient

from agent.errors import KassaError, StoreBusy, StoreFull, StoreUnavailable
from agent.signing import new_private_key
from sync.hq.seed import seed_demo
from sync.hq.server import create_app
from sync.hq.store import HqStore
from tests.sync.test_hq_concurrency import adjustments

AUTH = {"Authorization": "Bearer T1:demo"}
ROUTES = [
    ("GET", "/v1/terminals/T1/snapshot"),
    ("GET", "/v1/terminals/T1/customers/by-card/2900000000018"),
    ("GET", "/v1/terminals/T1/sales/T1/1"),
    ("POST", "/v1/terminals/T1/events"),
]


class FailingStore(HqStore):
    """HQ's store whose database fails with ``error`` from the moment ``failing`` is set:
    at the credential's check, or (``at_write``) only when a write begins."""

    error: KassaError = StoreUnavailable("unable to open database file")
    failing = False
    at_write = False

    def authenticate(self, terminal_id: str, secret: str) -> bool:
        if self.failing and not self.at_write:
            raise self.error
        return super().authenticate(terminal_id, secret)

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        if self.failing:
            raise self.error
        with super().transaction() as conn:
            yield conn


@pytest.fixture
def store(tmp_path: Path) -> FailingStore:
    s = FailingStore(tmp_path / "hq.db")
    seed_demo(s)
    return s


@pytest.mark.parametrize("error", [StoreUnavailable("disk I/O error"), StoreFull("full")])
@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_a_database_that_cannot_be_reached_is_503_with_retry_after(
    store: FailingStore, error: KassaError, method: str, path: str
) -> None:
    store.error, store.failing = error, True
    http = TestClient(create_app(store, new_private_key()), raise_server_exceptions=False)
    reply = http.request(method, path, headers=AUTH, json={"events": adjustments("T1", 1)})
    assert reply.status_code == 503, reply.text
    assert reply.headers["Retry-After"] == "1"
    assert "cannot be reached" in reply.json()["error"]


@pytest.mark.parametrize(
    "error", [StoreUnavailable("server closed the connection"), StoreBusy("locked")]
)
def test_an_upload_whose_write_fails_is_503_and_counts_once_when_sent_again(
    store: FailingStore, error: KassaError
) -> None:
    http = TestClient(create_app(store, new_private_key()), raise_server_exceptions=False)
    events = adjustments("T1", 3)
    store.error, store.failing, store.at_write = error, True, True
    failed = http.post("/v1/terminals/T1/events", headers=AUTH, json={"events": events})
    assert failed.status_code == 503 and failed.headers["Retry-After"] == "1"
    store.failing = False
    done = http.post("/v1/terminals/T1/events", headers=AUTH, json={"events": events})
    assert done.status_code == 200 and done.json()["acked_through"] == 3
    (held,) = store.conn.execute("SELECT COUNT(*) FROM hq_events").fetchone()
    assert held == 3
