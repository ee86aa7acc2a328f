#!/usr/bin/env bash
# Checks the README's commands on a fresh Debian 12, as a new user would run them:
# a debootstrap chroot of Debian 12 minbase with only python3, python3-venv, git and
# ca-certificates added, the committed HEAD of this repository cloned into it with
# ../shared beside it, then (as root, with no pip cache, installing from PyPI):
#   1. packaging/setup.sh as a user without root or sudo: it must stop and name the
#      apt-get command to run;
#   2. bash packaging/setup.sh   (what demo.sh runs before the demo);
#   3. bash packaging/test.sh    (lint, types, the whole suite, kassa bench --quick).
# About 10 minutes on 2 cores (plus about 1 for debootstrap): too slow for every CI run,
# so CI does not run it.
#
# With --deb, the .deb instead (packaging/build-deb.sh, built on this machine: a Debian 12
# with Python 3.11, as the target), in two more chroots copied from the same fresh system:
#   fresh:   apt-get install ./kassa_<version>_<arch>.deb (its Depends from the Debian
#            mirror), the files' owners and modes, then packaging/deb/smoke.sh sale: HQ and
#            `kassa agent` run as the kassa user, a sale through the agent API, HQ holds
#            it, `kassa doctor` (where the build has it); then apt-get remove and purge
#            (purge keeps /var/lib/kassa while it holds HQ's database);
#   upgrade: the previous release's .deb (--previous, default the commit that made the
#            newest tests/fixtures/release-*), its HQ and till selling (smoke.sh
#            release-sales: 3 sales left unsent), then this .deb installed over it: the
#            till's journal verifies on the new code, and a sale through the agent
#            sends the 3 unsent and the new one to HQ, which holds all 14.
# About 10 minutes (each .deb builds in about 2, kept in DIR/debs/COMMIT-PACKAGING).
#
# Usage: bash packaging/check-fresh-debian.sh [--dir DIR] [--rebuild] [--keep]
#                                             [--deb [--previous COMMIT]] [-- PYTEST_ARGS]
#   --dir DIR   where the chroots live (default /var/tmp/kassa-fresh-debian; needs ~3 GB).
#               DIR/base is the debootstrapped system, built once and reused; each run
#               copies it to DIR/run (DIR/deb-fresh, DIR/deb-upgrade with --deb), so every
#               run starts from the same fresh system.
#   --rebuild   debootstrap DIR/base again even if it exists.
#   --keep      leave the copies in place afterwards (to look around with chroot).
#   --deb       check the .deb (above) instead of the README's commands.
#   --previous COMMIT   the release --deb upgrades from.
#   PYTEST_ARGS are passed on to packaging/test.sh.
# Needs root (debootstrap, mount, chroot); runs itself through sudo when that is there.
set -euo pipefail

DIR=/var/tmp/kassa-fresh-debian
REBUILD=0
KEEP=0
DEB=0
PREVIOUS=""
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) DIR=$2; shift 2 ;;
    --dir=*) DIR=${1#--dir=}; shift ;;
    --rebuild) REBUILD=1; shift ;;
    --keep) KEEP=1; shift ;;
    --deb) DEB=1; shift ;;
    --previous) PREVIOUS=$2; shift 2 ;;
    --) shift; break ;;
    -h|--help) awk 'NR > 1 && !/^#/ {exit} NR > 1 {sub(/^# ?/, ""); print}' "$0"; exit 0 ;;
    *) echo "check-fresh-debian: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    exec sudo bash "$0" --dir "$DIR" $([ $REBUILD = 1 ] && echo --rebuild) \
      $([ $KEEP = 1 ] && echo --keep) $([ $DEB = 1 ] && echo --deb) \
      ${PREVIOUS:+--previous "$PREVIOUS"} -- "$@"
  fi
  echo "check-fresh-debian: needs root (debootstrap, mount, chroot); run it as root." >&2
  exit 1
fi

REPO=$(git -C "$(dirname "$0")/.." rev-parse --show-toplevel)
SHARED=$(dirname "$REPO")/shared
[ -d "$SHARED" ] || { echo "check-fresh-debian: no $SHARED beside the repository" >&2; exit 1; }
COMMIT=$(git -C "$REPO" rev-parse HEAD)
if [ -n "$(git -C "$REPO" status --porcelain --untracked-files=no)" ]; then
  echo "check-fresh-debian: note: uncommitted changes are not checked, only HEAD $COMMIT" >&2
fi

mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
BASE=$DIR/base
ROOTS=()  # the copies this run made
START=$(date +%s)
log() { echo "check-fresh-debian: [$(( $(date +%s) - START ))s] $*"; }

mounts_under() { awk -v p="$1" '$2 == p || index($2, p "/") == 1 {print $2}' /proc/self/mounts; }
unmount_all() {  # [ROOT]: one copy's mounts (default: every copy this run made)
  local m r roots=("$@")
  [ $# -gt 0 ] || roots=("${ROOTS[@]}")
  for r in "${roots[@]}"; do
    for m in $(mounts_under "$r" | sort -r); do umount -l "$m" 2>/dev/null || true; done
  done
}
remove_tree() {  # never removes a tree that still has something mounted in it
  [ -e "$1" ] || return 0
  if [ -n "$(mounts_under "$1")" ]; then
    echo "check-fresh-debian: $1 still has mounts; not removing it" >&2
    return 1
  fi
  rm -rf --one-file-system "$1"
}
cleanup() {
  local r
  unmount_all
  if [ "$KEEP" = 0 ]; then for r in "${ROOTS[@]}"; do remove_tree "$r" || true; done; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The Debian mirror this machine uses (deb822 sources, else sources.list).
MIRROR=""
if [ -r /etc/apt/sources.list.d/debian.sources ]; then
  MIRROR=$(awk '/^URIs:/ && $2 ~ /\/debian\/?$/ {print $2; exit}' \
    /etc/apt/sources.list.d/debian.sources)
fi
if [ -z "$MIRROR" ] && [ -r /etc/apt/sources.list ]; then
  MIRROR=$(awk '$1 == "deb" && $2 ~ /\/debian\/?$/ {print $2; exit}' /etc/apt/sources.list)
fi
MIRROR=${MIRROR:-http://deb.debian.org/debian}
MIRROR=${MIRROR%/}

if ! command -v debootstrap >/dev/null 2>&1; then
  log "installing debootstrap"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
fi

if [ "$REBUILD" = 1 ] || [ ! -e "$BASE/.kassa-base-complete" ]; then
  log "debootstrap Debian 12 (bookworm) minbase from $MIRROR into $BASE"
  remove_tree "$BASE"
  debootstrap --variant=minbase --include=python3,python3-venv,git,ca-certificates \
    bookworm "$BASE" "$MIRROR" >"$DIR/debootstrap.log" 2>&1 \
    || { tail -n 30 "$DIR/debootstrap.log" >&2; echo "check-fresh-debian: debootstrap failed" >&2; exit 1; }
  cat >"$BASE/etc/apt/sources.list" <<SOURCES
deb $MIRROR bookworm main
deb $MIRROR bookworm-updates main
deb $MIRROR-security bookworm-security main
SOURCES
  chroot "$BASE" apt-get clean
  touch "$BASE/.kassa-base-complete"
else
  log "reusing $BASE (--rebuild to debootstrap it again)"
fi

# A fresh copy of the base system at $1 (the chroot ROOT), mounted and on this machine's
# network: the same DNS, and the extra CA certificates of its bundle (below).
new_root() {
  ROOT=$1
  ROOTS+=("$ROOT")
  log "copying the fresh system to $ROOT"
  unmount_all "$ROOT"
  remove_tree "$ROOT"
  cp -a "$BASE" "$ROOT"
  rm -f "$ROOT/.kassa-base-complete"

  mount -t proc proc "$ROOT/proc"
  mount -t sysfs sysfs "$ROOT/sys"
  mount --rbind /dev "$ROOT/dev"          # brings /dev/pts (tmux) and /dev/shm
  mount --make-rslave "$ROOT/dev"
  cp -L /etc/resolv.conf "$ROOT/etc/resolv.conf"

  # Where this machine reaches PyPI through a TLS-inspecting proxy, its CA is in the host's
  # bundle but not in Debian's: the chroot trusts those extra certificates too (the same
  # network, not a different setup), through update-ca-certificates and the usual variables.
  one_per_line() { awk '/BEGIN CERT/{c=""} {c=c $0} /END CERT/{print c}' "$1"; }
  HOST_BUNDLE=/etc/ssl/certs/ca-certificates.crt
  EXTRA_CA=0
  if [ -r "$HOST_BUNDLE" ]; then
    one_per_line "$ROOT$HOST_BUNDLE" >"$DIR/debian-cas.txt"
    mkdir -p "$ROOT/usr/local/share/ca-certificates"
    while IFS= read -r cert; do
      grep -qxF -e "$cert" "$DIR/debian-cas.txt" && continue
      EXTRA_CA=$((EXTRA_CA + 1))
      echo "$cert" | sed -e 's/-----BEGIN CERTIFICATE-----/&\n/' \
        -e 's/-----END CERTIFICATE-----/\n&/' | fold -w 64 >"$ROOT/usr/local/share/ca-certificates/host-extra-$EXTRA_CA.crt"
    done < <(one_per_line "$HOST_BUNDLE")
    if [ "$EXTRA_CA" -gt 0 ]; then
      log "trusting $EXTRA_CA extra CA certificate(s) from this machine's bundle"
      chroot "$ROOT" update-ca-certificates >/dev/null 2>&1
    fi
  fi
}

if [ "$DEB" = 1 ]; then
  . "$REPO/packaging/deb/check-deb.sh"  # the .deb's checks (above); exits
fi

new_root "$DIR/run"
log "cloning $REPO at $COMMIT, with shared/ beside it"
mkdir -p "$ROOT/srv/check"
git init -q "$ROOT/srv/check/kassa"
git -C "$ROOT/srv/check/kassa" fetch -q "$REPO" HEAD
git -C "$ROOT/srv/check/kassa" checkout -q -b main FETCH_HEAD
git -C "$ROOT/srv/check/kassa" remote add origin "$REPO"
cp -a "$SHARED" "$ROOT/srv/check/shared"
chmod -R a-w "$ROOT/srv/check/shared"   # as CI lays it

# A new user's environment: none of this machine's pip configuration, no pip cache.
ENV=(env -i HOME=/root LANG=C.UTF-8 TERM=xterm-256color PIP_NO_CACHE_DIR=1
  PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin)

if [ "$EXTRA_CA" -gt 0 ]; then
  ENV+=(SSL_CERT_FILE=$HOST_BUNDLE REQUESTS_CA_BUNDLE=$HOST_BUNDLE PIP_CERT=$HOST_BUNDLE)
fi

status=0
log "1. packaging/setup.sh without root or sudo: it must name the apt-get command"
set +e
msg=$(chroot --userspec=65534:65534 "$ROOT" "${ENV[@]}" HOME=/tmp \
  bash /srv/check/kassa/packaging/setup.sh 2>&1)
rc=$?
set -e
echo "$msg" | sed 's/^/    /'
if [ $rc -ne 0 ] && echo "$msg" | grep -q "apt-get install -y .*python3-dev" \
  && ! echo "$msg" | grep -q "command not found"; then
  log "1. ok: it stopped and said what to run"
else
  log "1. FAILED: expected a non-zero exit naming 'apt-get install -y ... python3-dev'"
  status=1
fi

log "2. bash packaging/setup.sh (what demo.sh runs first)"
set +e
chroot "$ROOT" "${ENV[@]}" bash -c 'cd /srv/check/kassa && bash packaging/setup.sh'
rc=$?
set -e
if [ $rc -eq 0 ] && chroot "$ROOT" "${ENV[@]}" /srv/check/kassa/.venv/bin/kassa --help >/dev/null; then
  log "2. ok: setup.sh passed and the kassa command runs"
else
  log "2. FAILED: setup.sh exited $rc"
  status=1
fi

log "3. bash packaging/test.sh $*"
set +e
chroot "$ROOT" "${ENV[@]}" bash -c 'cd /srv/check/kassa && bash packaging/test.sh "$@"' \
  test.sh "$@"
test_rc=$?
set -e

took=$(( $(date +%s) - START ))
echo
echo "check-fresh-debian: commit $COMMIT, Debian 12 minbase chroot in $ROOT, ${took}s"
if [ $status -eq 0 ]; then
  echo "check-fresh-debian: setup.sh: PASSED (no-root message and install)"
else
  echo "check-fresh-debian: setup.sh: FAILED (see steps 1 and 2 above)"
fi
if [ $test_rc -eq 0 ]; then
  echo "check-fresh-debian: bash packaging/test.sh: PASSED"
else
  echo "check-fresh-debian: bash packaging/test.sh: FAILED (exit $test_rc)"
  status=1
fi
exit $status
