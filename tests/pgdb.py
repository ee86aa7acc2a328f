"""HQ's database for the tests, on each backend: an SQLite file, or a fresh PostgreSQL
database per test in a throwaway cluster.

``hq_db_url`` is the URL of a new, empty HQ database; it is parametrized over
``hq_backend`` (``sqlite``, ``postgresql``) by :func:`parametrize_backends`: a test
that uses it runs once on each, except the tests of a real HQ process (the ``hq``
fixture), which run on SQLite only unless marked ``both_backends`` (or with
``KASSA_PG_E2E=all``): they double the slowest tests of the suite.

The cluster: ``KASSA_TEST_PG`` (a URL whose user may create databases; CI's
packaging/test.sh starts one), else one started here for the session with
packaging/pg-test-cluster.sh. Without PostgreSQL the postgresql cases fail, saying how
to install it: they are never skipped.
"""

from __future__ import annotations

import atexit
import itertools
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BACKENDS = ("sqlite", "postgresql")
_names = itertools.count()


@cache
def cluster_url() -> str | None:
    """The URL of the test cluster's maintenance database, or None (no PostgreSQL)."""
    given = os.environ.get("KASSA_TEST_PG")
    if given:
        return given
    if not list(Path("/usr/lib/postgresql").glob("*/bin/initdb")) and not shutil.which("initdb"):
        return None
    folder = tempfile.mkdtemp(prefix="kassa-pg-")
    script = str(ROOT / "packaging" / "pg-test-cluster.sh")
    out = subprocess.run(
        ["bash", script, "start", folder], capture_output=True, text=True, check=True
    )
    atexit.register(subprocess.run, ["bash", script, "stop", folder], check=False)
    return out.stdout.strip().splitlines()[-1]


def _in(url: str, name: str) -> str:
    """``url`` (of the cluster's maintenance database) naming database ``name``."""
    head, _, query = url.partition("?")
    base = head.rsplit("/", 1)[0]
    return f"{base}/{name}" + (f"?{query}" if query else "")


@pytest.fixture
def hq_backend(request: pytest.FixtureRequest) -> str:
    """The database HQ runs on in this test: ``sqlite`` or ``postgresql``."""
    backend: str = getattr(request, "param", "sqlite")
    return backend


@pytest.fixture
def hq_db_url(hq_backend: str, tmp_path: Path) -> Iterator[str]:
    """The URL of a new HQ database of ``hq_backend``: a file path for SQLite, a fresh
    PostgreSQL database (dropped after the test) for PostgreSQL."""
    if hq_backend == "sqlite":
        yield str(tmp_path / "hq.db")
        return
    import psycopg

    server = cluster_url()
    if server is None:  # HQ's PostgreSQL backend untested is a failure, not a skip
        pytest.fail(
            "no PostgreSQL for HQ's tests: `bash packaging/setup.sh test` installs Debian's "
            "postgresql (or set KASSA_TEST_PG to a cluster whose role may create databases)"
        )
    name = f"hq_{os.getpid()}_{next(_names)}"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield _in(server, name)
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _uses_hq_process(metafunc: pytest.Metafunc) -> bool:
    """Whether the test starts a real HQ (the ``hq`` fixture of tests/hqproc.py, not a
    module's own fixture of that name)."""
    defs = metafunc.definition._fixtureinfo.name2fixturedefs.get("hq", ())
    return bool(defs) and defs[-1].func.__module__ == "tests.hqproc"


def parametrize_backends(metafunc: pytest.Metafunc) -> None:
    """Run each test that uses ``hq_backend`` on both backends (see the module's text)."""
    if "hq_backend" not in metafunc.fixturenames:
        return
    if any(
        m.args and "hq_backend" in str(m.args[0])
        for m in metafunc.definition.iter_markers("parametrize")
    ):
        return  # the test says its backends itself
    process = _uses_hq_process(metafunc)
    both = (
        not process
        or metafunc.definition.get_closest_marker("both_backends") is not None
        or os.environ.get("KASSA_PG_E2E") == "all"
    )
    metafunc.parametrize("hq_backend", BACKENDS if both else ("sqlite",), indirect=True)
