#!/usr/bin/env bash
# Makes the databases of an earlier release, for the upgrade test
# (tests/sync/test_release_upgrade.py: they open in today's code with nothing lost).
#
# Usage: bash packaging/make-release-fixtures.sh COMMIT VERSION [--sales N]
#   COMMIT   the release's commit (its code makes the files); VERSION names the folder:
#            tests/fixtures/release-VERSION/
#   --sales  sales per till (default 24 on T1, half as many on T2; then 3 more on T1
#            with HQ down, left unsent)
# Runs the release's own code (a git archive of COMMIT, first on PYTHONPATH; the
# dependencies from $PYTHON, default .venv/bin/python of this repository or of
# ../main): its `kassa hq --demo` on loopback, and `kassa simulate` for two tills against
# it. Writes terminal-T1.db, terminal-T2.db, hq.db (+ hq.db.pub) and manifest.json (what
# the release's files hold: every journal row's seq and hash, row counts, HQ's balances
# and the demo's opening balances, read by the release's code) into the folder.
#
# release-0.1.0 was made from 96c1f7630d2c (Merge workers, 2026-12-01): the terminal's
# schema up to m012_least_customer_data, HQ's up to m009_returns_by_sale (SQLite only:
# HQ on PostgreSQL came later).
set -euo pipefail

COMMIT=${1:?the release commit}
VERSION=${2:?the release version}
shift 2
SALES=24
while [ $# -gt 0 ]; do
  case "$1" in
    --sales) SALES=$2; shift 2 ;;
    *) echo "make-release-fixtures: unknown option $1" >&2; exit 2 ;;
  esac
done

REPO=$(git -C "$(dirname "$0")/.." rev-parse --show-toplevel)
if [ -z "${PYTHON:-}" ]; then
  for p in "$REPO/.venv/bin/python" "$REPO/../main/.venv/bin/python"; do
    [ -x "$p" ] && { PYTHON=$p; break; }
  done
fi
PYTHON=${PYTHON:?set PYTHON to an interpreter with the dependencies of kassa}
OUT=$REPO/tests/fixtures/release-$VERSION
FULL=$(git -C "$REPO" rev-parse --verify "$COMMIT^{commit}")

WORK=$(mktemp -d "${TMPDIR:-/tmp}/kassa-release.XXXXXX")
HQ_PID=""
cleanup() {
  [ -n "$HQ_PID" ] && kill "$HQ_PID" 2>/dev/null && wait "$HQ_PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
mkdir -p "$WORK/src" "$WORK/data"
git -C "$REPO" archive --format=tar "$FULL" | tar -x -C "$WORK/src"
cd "$WORK/src"
export PYTHONPATH=$WORK/src
"$PYTHON" - "$WORK/src" <<'PY'
import sys
import agent, sync
for m in (agent, sync):
    assert m.__file__.startswith(sys.argv[1]), f"{m.__name__} imported from {m.__file__}"
PY

PORT=$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$PYTHON" -m ui.cli hq --db "$WORK/data/hq.db" --port "$PORT" --demo >"$WORK/hq.log" 2>&1 &
HQ_PID=$!
for _ in $(seq 100); do
  [ -e "$WORK/data/hq.db.pub" ] && "$PYTHON" -c "import httpx; httpx.get('http://127.0.0.1:$PORT/v1/health', timeout=1)" 2>/dev/null && break
  sleep 0.2
done
for t in T1 T2; do
  n=$SALES; [ $t = T2 ] && n=$(( SALES / 2 ))
  "$PYTHON" -m ui.cli simulate --hq "http://127.0.0.1:$PORT" --hq-key "$WORK/data/hq.db.pub" \
    --sales "$n" --data-dir "$WORK/data/$t" --terminal-id $t --timeout 120
done
kill "$HQ_PID"; wait "$HQ_PID" || true; HQ_PID=""
# T1 sells 3 more while HQ is down: sales the upgrade must keep and send later.
"$PYTHON" -m ui.cli simulate --hq "http://127.0.0.1:$PORT" --hq-key "$WORK/data/hq.db.pub" \
  --sales 3 --data-dir "$WORK/data/T1" --terminal-id T1 --timeout 3 --backoff-max-s 1 || true

rm -rf "$OUT"; mkdir -p "$OUT"
# Each database with its write-ahead log, folded into the file below.
copy_db() { local s; for s in "" -wal -shm; do [ -e "$1$s" ] && cp "$1$s" "$2$s"; done; true; }
copy_db "$WORK/data/hq.db" "$OUT/hq.db"
cp "$WORK/data/hq.db.pub" "$OUT/"
for t in T1 T2; do copy_db "$WORK/data/$t/terminal.db" "$OUT/terminal-$t.db"; done
"$PYTHON" - "$OUT" "$FULL" "$VERSION" <<'PY'
"""What the release's files hold, read by the release's code, and the files made small
(WAL checkpointed into the file, free pages dropped)."""
import json, sqlite3, sys
from datetime import UTC, datetime
from pathlib import Path

from agent.demo import CUSTOMERS
from agent.store import Store
from agent.store.schema import migrations as terminal_migrations
from sync.hq.schema import migrations as hq_migrations
from sync.hq.store import HqStore

out, commit, version = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
for db in out.glob("*.db"):
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("VACUUM")
    conn.close()
    assert not Path(f"{db}-wal").exists(), db
COUNTED = ("journal", "sales", "ledger", "outbox", "usage", "gift_card_moves", "returns",
           "customers", "products", "rulesets", "print_jobs")
manifest = {"version": version, "commit": commit,
            "made_at": datetime.now(UTC).isoformat(timespec="seconds"), "terminals": {}}
for db in sorted(out.glob("terminal-*.db")):
    store = Store.open_existing(db)
    c = store.conn
    manifest["terminals"][db.stem.removeprefix("terminal-")] = {
        "file": db.name,
        "migrations": [m.name for m in terminal_migrations.applied(store.file.db)],
        "journal": [[s, h] for s, h in c.execute("SELECT seq, hash FROM journal ORDER BY seq")],
        "rows": {t: c.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in COUNTED},
        "points": dict(c.execute(
            "SELECT customer_id, SUM(points) FROM ledger WHERE customer_id IS NOT NULL "
            "GROUP BY customer_id ORDER BY customer_id").fetchall()),
        "pending": store.ledger.outbox_stats().pending,
        "verify": store.ledger.verify() is None,
    }
    store.close()
hq = HqStore(out / "hq.db", create=False)
c = hq.conn
from sqlite_utils import Database
manifest["hq"] = {
    "file": "hq.db",
    "migrations": [m.name for m in hq_migrations.applied(Database(c))],
    "events": [[t, s, h] for t, s, h in c.execute(
        "SELECT terminal_id, seq, hash FROM hq_events ORDER BY terminal_id, seq")],
    "acked": dict(c.execute("SELECT terminal_id, acked_seq FROM terminals "
                            "WHERE acked_seq > 0 ORDER BY terminal_id").fetchall()),
    "balances": dict(c.execute(
        "SELECT customer_id, balance FROM hq_customers ORDER BY customer_id").fetchall()),
    "opening": {str(x["customer_id"]): int(x["balance"]) for x in CUSTOMERS},
}
getattr(hq, "close", lambda: None)()  # the release's HqStore may have no close()
(out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
PY
rm -f "$OUT"/*.db-shm
ls -l "$OUT"
