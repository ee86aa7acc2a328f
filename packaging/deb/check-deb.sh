# The .deb's checks of packaging/check-fresh-debian.sh --deb (sourced by it, after it made
# DIR/base; it provides log, new_root, REPO, DIR, COMMIT, PREVIOUS). Exits.

if [ -z "$PREVIOUS" ]; then
  newest=$(ls -d "$REPO"/tests/fixtures/release-* 2>/dev/null | sort -V | tail -1)
  [ -n "$newest" ] || { echo "check-fresh-debian: no tests/fixtures/release-*; give --previous" >&2; exit 1; }
  PREVIOUS=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["commit"])' \
    "$newest/manifest.json")
fi
PREVIOUS=$(git -C "$REPO" rev-parse --verify "$PREVIOUS^{commit}")

PACKAGING=$(git -C "$REPO" rev-parse --short "$COMMIT:packaging")
build() {  # COMMIT -> the path of its .deb (built once per COMMIT and packaging/ tree)
  local out=$DIR/debs/$1-$PACKAGING
  if ! ls "$out"/kassa_*.deb >/dev/null 2>&1; then
    log "building the .deb of $1 (packaging/build-deb.sh --rev $1)" >&2
    bash "$REPO/packaging/build-deb.sh" --rev "$1" --out "$out" >"$DIR/build-$1.log" 2>&1 \
      || { tail -n 30 "$DIR/build-$1.log" >&2; echo "check-fresh-debian: build-deb.sh failed" >&2; exit 1; }
  fi
  ls "$out"/kassa_*.deb
}
NEW_DEB=$(build "$COMMIT")
OLD_DEB=$(build "$PREVIOUS")
log ".debs: $(basename "$NEW_DEB") (HEAD) and $(basename "$OLD_DEB") ($PREVIOUS)"

CENV=(env -i HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive
  PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin)
in_root() { chroot "$ROOT" "${CENV[@]}" "$@"; }
results=()
status=0
check() {  # NAME COMMAND...: run it, note PASSED or FAILED
  local name=$1; shift
  log "$name"
  if "$@"; then results+=("$name: PASSED"); else results+=("$name: FAILED"); status=1; fi
}
install_deb() {  # DEB: with apt-get, its Depends from the mirror
  cp "$1" "$ROOT/srv/"
  in_root apt-get install -y -q --no-install-recommends "/srv/$(basename "$1")" >"$ROOT/srv/apt.log" 2>&1 \
    || { tail -n 30 "$ROOT/srv/apt.log" >&2; return 1; }
  grep -E "^(Setting up kassa|kassa)" "$ROOT/srv/apt.log" | sed 's/^/    /'
}
mode_is() {  # PATH MODE OWNER:GROUP
  local got; got=$(chroot "$ROOT" stat -c '%a %U:%G' "$1")
  [ "$got" = "$2 $3" ] || { echo "    $1 is $got, not $2 $3" >&2; return 1; }
}
stop_in_root() {  # whatever still runs in this chroot (a smoke test that failed midway)
  local p
  for p in /proc/[0-9]*; do
    [ "$(readlink "$p/root" 2>/dev/null)" = "$ROOT" ] && kill "${p#/proc/}" 2>/dev/null
  done
  true
}
smoke() { cp "$REPO/packaging/deb/smoke.sh" "$ROOT/srv/smoke.sh"; in_root bash /srv/smoke.sh "$@"; }

fresh() {
  install_deb "$NEW_DEB" || return 1
  in_root kassa --help >/dev/null || return 1
  mode_is /etc/kassa 750 root:kassa && mode_is /etc/kassa/kassa.toml 640 root:kassa \
    && mode_is /etc/kassa/agent-tokens 640 root:kassa && mode_is /var/lib/kassa 750 kassa:kassa \
    || return 1
  local f
  for f in /lib/systemd/system/kassa-till@.service /lib/systemd/system/kassa-agent.service \
    /lib/systemd/system/kassa-hq.service /lib/udev/rules.d/99-kassa-scanner.rules; do
    [ -e "$ROOT$f" ] || { echo "    $f missing" >&2; return 1; }
  done
  smoke sale || return 1
}
remove_and_purge() {
  in_root apt-get remove -y -q kassa >/dev/null || return 1
  [ ! -e "$ROOT/opt/kassa/venv" ] && [ ! -e "$ROOT/usr/bin/kassa" ] && [ -d "$ROOT/etc/kassa" ] \
    && [ -e "$ROOT/var/lib/kassa/hq/hq.db" ] || { echo "    remove left or took the wrong files" >&2; return 1; }
  in_root apt-get purge -y -q kassa 2>&1 | grep '^kassa:' | sed 's/^/    /'
  [ ! -e "$ROOT/etc/kassa" ] && [ -e "$ROOT/var/lib/kassa/hq/hq.db" ] \
    || { echo "    purge: /etc/kassa should go, HQ's database stay" >&2; return 1; }
}
upgrade() {
  install_deb "$OLD_DEB" || return 1
  smoke release-sales || return 1
  install_deb "$NEW_DEB" || return 1
  local v; v=$(in_root dpkg-query -W -f '${Version}' kassa)
  [ "$v" = "$(basename "$NEW_DEB" | cut -d_ -f2)" ] || { echo "    installed: $v" >&2; return 1; }
  [ "$(ls -d "$ROOT"/opt/kassa/venv-* | wc -l)" = 1 ] || { echo "    old venv left" >&2; return 1; }
  # The till's data from the release before: its journal verifies on the new code (which
  # migrates it), its 3 unsent sales and a new one reach HQ (migrated too), 14 in all.
  smoke sale T1 || return 1
}

new_root "$DIR/deb-fresh"
in_root apt-get update -q >/dev/null
check "fresh install of $(basename "$NEW_DEB"), a sale through the agent, HQ has it" fresh
check "apt-get remove, then purge (keeps HQ's database)" remove_and_purge
stop_in_root
unmount_all "$ROOT"; [ "$KEEP" = 1 ] || remove_tree "$ROOT"

new_root "$DIR/deb-upgrade"
in_root apt-get update -q >/dev/null
check "upgrade from $(basename "$OLD_DEB"): the data kept, the unsent sales sent" upgrade
stop_in_root

took=$(( $(date +%s) - START ))
echo
echo "check-fresh-debian --deb: commit $COMMIT (previous $PREVIOUS), ${took}s"
for r in "${results[@]}"; do echo "check-fresh-debian: $r"; done
exit $status
