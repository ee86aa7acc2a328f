#!/usr/bin/env bash
# The installed kassa package at work, headless: run as root on the machine (or chroot)
# it is installed on, with no systemd needed (what the units run, run by hand as the
# kassa user). packaging/check-fresh-debian.sh --deb runs it in its chroots.
#
# Usage: bash smoke.sh release-sales   with an older release installed: its HQ (--demo)
#                                      and till T1 (`kassa simulate`) sell 10 sales, then 3
#                                      more while HQ is down (left unsent: an upgrade keeps
#                                      them)
#        bash smoke.sh sale [TILL]     HQ (the database there, or a new demo one), a till
#                                      through the agent API (`kassa agent` on the Unix
#                                      socket): one sale, and HQ must hold every sale of
#                                      the till. TILL: an existing till's id (secret demo,
#                                      data kept in /var/lib/kassa/terminal); without it a
#                                      new till S1 is registered with `kassa hq add-terminal`.
#                                      Then `kassa doctor`, where the build has it.
# Exit 0 when all went as said; the last line says what happened.
set -euo pipefail

HQ_DIR=/var/lib/kassa/hq
HQ_DB=$HQ_DIR/hq.db
TERMINAL=/var/lib/kassa/terminal
LOGS=$(mktemp -d /tmp/kassa-smoke.XXXXXX)
chmod 755 "$LOGS"
PIDS=()
say() { echo "smoke: $*"; }
fail() { echo "smoke: FAILED: $*" >&2; for f in "$LOGS"/*.log; do [ -e "$f" ] && { echo "--- $f" >&2; tail -n 20 "$f" >&2; }; done; exit 1; }
stop_all() { local p; for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; PIDS=(); }
trap stop_all EXIT
# As the kassa user, as the units run. setpriv and env exec: started in the background
# (not through a function, which would be a subshell of its own) the PID in $! is the
# program's, which stop_all's kill stops.
AS_KASSA=(setpriv --reuid=kassa --regid=kassa --init-groups
  env -i PATH=/usr/bin:/bin LANG=C.UTF-8 HOME=/var/lib/kassa)
as_kassa() { "${AS_KASSA[@]}" "$@"; }
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_url() {  # URL [UNIX-SOCKET]
  python3 - "$@" <<'PY' || return 1
import socket, sys, time, http.client
url, sock = sys.argv[1], (sys.argv[2] if len(sys.argv) > 2 else "")
host, _, port = url.removeprefix("http://").partition(":")
for _ in range(300):
    try:
        if sock:
            c = http.client.HTTPConnection("agent")
            c.sock = socket.socket(socket.AF_UNIX); c.sock.connect(sock)
        else:
            c = http.client.HTTPConnection(host, int(port), timeout=2)
        c.request("GET", "/v1/health")
        if c.getresponse().status == 200:
            sys.exit(0)
    except OSError:
        pass
    time.sleep(0.2)
sys.exit(1)
PY
}

HQ_PORT=$(free_port)
HQ_URL=http://127.0.0.1:$HQ_PORT
start_hq() {
  install -d -o kassa -g kassa -m 0750 "$HQ_DIR"
  "${AS_KASSA[@]}" kassa hq --db "$HQ_DB" --port "$HQ_PORT" --demo >"$LOGS/hq.log" 2>&1 &
  PIDS+=($!)
  wait_url "$HQ_URL" || fail "HQ did not answer on $HQ_URL"
  say "HQ ($(kassa --help >/dev/null && cat /opt/kassa/BUILD | head -1)) on $HQ_URL, $HQ_DB"
}

case "${1:-}" in
release-sales)
  start_hq
  as_kassa kassa simulate --hq "$HQ_URL" --hq-key "$HQ_DB.pub" --sales 10 \
    --data-dir "$TERMINAL" --terminal-id T1 --secret demo --timeout 120 \
    || fail "the release's till did not sell"
  stop_all
  as_kassa kassa simulate --hq "$HQ_URL" --hq-key "$HQ_DB.pub" --sales 3 \
    --data-dir "$TERMINAL" --terminal-id T1 --secret demo --timeout 3 --backoff-max-s 1 \
    && fail "HQ was down, yet the sales were acknowledged"
  as_kassa kassa verify --data-dir "$TERMINAL" || fail "the release's journal does not verify"
  say "ok: 13 sales at T1 (3 unsent), HQ's database $HQ_DB"
  ;;
sale)
  TILL=${2:-}
  start_hq
  if [ -n "$TILL" ]; then
    SECRET=demo
    as_kassa kassa verify --data-dir "$TERMINAL" || fail "the till's journal does not verify"
  else
    TILL=S1
    SECRET=$(as_kassa kassa hq add-terminal --db "$HQ_DB" --id "$TILL" | awk '/^secret: / {print $2}')
    [ -n "$SECRET" ] || fail "kassa hq add-terminal printed no secret"
  fi
  install -o root -g kassa -m 0640 "$HQ_DB.pub" /etc/kassa/hq.pub
  AGENT_PORT=$(free_port)
  sed -i -e "s|^terminal_id = .*|terminal_id = \"$TILL\"|" -e "s|^secret = .*|secret = \"$SECRET\"|" \
    -e "s|^url = .*|url = \"$HQ_URL\"|" -e "s|^port = .*|port = $AGENT_PORT|" /etc/kassa/agent.toml
  # systemd makes /run/kassa for kassa-agent.service (RuntimeDirectory=kassa).
  install -d -o kassa -g kassa -m 0750 /run/kassa
  "${AS_KASSA[@]}" kassa agent --config /etc/kassa/agent.toml >"$LOGS/agent.log" 2>&1 &
  PIDS+=($!)
  wait_url http://agent /run/kassa/agent.sock || fail "the agent did not answer on /run/kassa/agent.sock"
  TOKEN=$(awk '!/^#/ && NF == 2 {print $2; exit}' /etc/kassa/agent-tokens)
  # The POS: the package's own Python client, on the Unix socket, as a member of kassa.
  as_kassa env TOKEN="$TOKEN" /opt/kassa/venv/bin/python - <<'PY' || fail "the sale through the agent API"
import os, sys, time
from ui.api.client import AgentClient

pos = AgentClient(os.environ["TOKEN"], socket="/run/kassa/agent.sock")
for _ in range(300):  # the ruleset and customers come from HQ first
    who = pos.identify(card="2900000000018")
    if who.ok and who.doc.get("identified"):
        break
    time.sleep(0.2)
else:
    sys.exit(f"identify: {who.status} {who.doc}")
basket = {"customer": {"identification": who.doc["identification"]},
          "lines": [{"sku": "COFFEE", "qty": 2, "unit_minor": 3990}]}
sale = pos.commit(basket, "SMOKE-1", "smoke-0000000000000001")
if sale.status != 201:
    sys.exit(f"commit: {sale.status} {sale.doc}")
print(f"smoke: sale {sale.doc['sale']['number']}: {sale.doc['total_minor']} minor, "
      f"{sale.doc['points_earned']} points earned")
for _ in range(300):
    st = pos.status().doc
    if st["sync"]["pending"] == 0 and st["sync"]["hq_reachable"]:
        break
    time.sleep(0.2)
else:
    sys.exit(f"not synced: {st}")
print(f"smoke: HQ acknowledged the till's sales through seq {sale.doc['sale']['seq']}")
with open("/tmp/kassa-smoke-seq", "w") as f:
    f.write(str(sale.doc["sale"]["seq"]))
PY
  SEQ=$(cat /tmp/kassa-smoke-seq)
  as_kassa kassa hq report --db "$HQ_DB" --json >"$LOGS/report.json" || fail "kassa hq report"
  python3 - "$LOGS/report.json" "$TILL" "$SEQ" <<'PY' || fail "HQ's report"
import json, sys
doc = json.load(open(sys.argv[1]))
t = doc["terminals"][sys.argv[2]]
assert t["acked_seq"] == int(sys.argv[3]) == t["sales"], t
print(f"smoke: HQ holds {t['sales']} sales of {sys.argv[2]}, acknowledged through {t['acked_seq']}")
PY
  if kassa doctor --help >/dev/null 2>&1; then
    set +e
    as_kassa kassa doctor --config /etc/kassa/agent.toml
    rc=$?
    set -e
    # HQ runs and answers; a chroot has no scanner or printer attached: 0 or 1.
    [ $rc -le 1 ] || fail "kassa doctor exited $rc"
    say "kassa doctor exited $rc (0: all well, 1: findings above)"
  else
    say "no kassa doctor in this build (the doctor branch is not merged yet): not run"
  fi
  stop_all
  as_kassa kassa verify --data-dir "$TERMINAL" || fail "the journal does not verify after the sale"
  say "ok: a sale through the agent API at $TILL, held by HQ"
  ;;
*) echo "smoke: release-sales or sale [TILL]" >&2; exit 2 ;;
esac
