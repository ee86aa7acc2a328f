#!/usr/bin/env bash
# Builds kassa_<version>_<arch>.deb: kassa with all its dependencies as wheels (nothing is
# downloaded at install time), the systemd units, the udev rules and the example configs.
#
# Usage: bash packaging/build-deb.sh [--out DIR] [--src DIR] [--rev REV] [--python PY]
#   --out DIR    where the .deb goes (default: dist/ in the repository)
#   --src DIR    the kassa tree to package: a git checkout (default: this repository)
#   --rev REV    the commit of it to package (default HEAD; uncommitted changes are not
#                packaged). An older release's commit builds its .deb with today's
#                packaging (check-fresh-debian.sh --deb upgrades from one).
#   --python PY  the interpreter the wheels are built for (default python3). It must be
#                the minor version of the target Debian's python3 (3.11 on Debian 12):
#                some wheels (psycopg-binary, zxing-cpp, evdev) are built for one CPython.
#
# Maintainer: $DEBFULLNAME <$DEBEMAIL> (dpkg's variables), else a placeholder.
# lintian, where installed, runs on the result; expected remarks: dir-or-file-in-opt
# (a local package, not one for Debian's archive), bogus-mail-host (without DEBEMAIL),
# no-manual-page, and systemctl and "bashisms" (Python) in the maintainer scripts.
#
# The package: /opt/kassa/wheels (kassa's wheel and its dependencies'), /usr/bin/kassa,
# /lib/systemd/system/kassa-{till@,agent,hq}.service, /lib/udev/rules.d/99-kassa-scanner.rules,
# /usr/share/kassa/etc (what postinst copies to /etc/kassa when absent). postinst makes
# /opt/kassa/venv from the wheels with python3 -m venv and pip --no-index. Needs dpkg-deb,
# git and network access to PyPI at build time (or a pip configuration that serves it).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(git -C "$HERE/.." rev-parse --show-toplevel)
OUT=$REPO/dist
SRC=$REPO
REV=HEAD
PY=python3
while [ $# -gt 0 ]; do
  case "$1" in
    --out) OUT=$2; shift 2 ;;
    --src) SRC=$2; shift 2 ;;
    --rev) REV=$2; shift 2 ;;
    --python) PY=$2; shift 2 ;;
    -h|--help) awk 'NR > 1 && !/^#/ {exit} NR > 1 {sub(/^# ?/, ""); print}' "$0"; exit 0 ;;
    *) echo "build-deb: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
log() { echo "build-deb: $*" >&2; }

SRC=$(git -C "$SRC" rev-parse --show-toplevel)
COMMIT=$(git -C "$SRC" rev-parse --verify "$REV^{commit}")
if [ "$REV" = HEAD ] && [ -n "$(git -C "$SRC" status --porcelain --untracked-files=no)" ]; then
  log "note: uncommitted changes in $SRC are not packaged, only HEAD $COMMIT"
fi
# The version: pyproject's [project] version (0.2.0, or 0.2.0.dev1 -> 0.2.0~dev1, which
# dpkg sorts before 0.2.0 as Python does).
PYVERSION=$(git -C "$SRC" show "$COMMIT:pyproject.toml" | "$PY" -c '
import sys, tomllib
print(tomllib.loads(sys.stdin.read())["project"]["version"])')
VERSION=$(echo "$PYVERSION" | sed -E 's/\.?(dev|a|b|rc)([0-9]*)$/~\1\2/')
PYVER=$("$PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
PYNEXT=$("$PY" -c 'import sys; print("%d.%d" % (sys.version_info[0], sys.version_info[1] + 1))')
ARCH=$(dpkg --print-architecture)

WORK=$(mktemp -d "${TMPDIR:-/tmp}/kassa-deb.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
ROOT=$WORK/root
mkdir -p "$WORK/src" "$ROOT/DEBIAN" "$ROOT/opt/kassa/wheels"
git -C "$SRC" archive --format=tar "$COMMIT" | tar -x -C "$WORK/src"

log "kassa $PYVERSION ($COMMIT) for Python $PYVER on $ARCH: building the wheels"
"$PY" -m venv "$WORK/build-venv"
# The target's pip installs them with --no-index: every wheel it needs must be here.
# evdev has no wheel on PyPI and is built here from source (gcc and Python.h needed).
"$WORK/build-venv/bin/python" -m pip wheel --quiet --wheel-dir "$ROOT/opt/kassa/wheels" \
  "$WORK/src" >"$WORK/pip.log" 2>&1 || { tail -n 30 "$WORK/pip.log" >&2; exit 1; }
ls "$ROOT/opt/kassa/wheels"/kassa-*.whl >/dev/null
if ls "$ROOT/opt/kassa/wheels"/*.whl | grep -v -e '-none-any\.whl$' -e "-cp${PYVER/./}-" \
  -e '-abi3-' | grep -v -e "-$(uname -m)\.whl$" -e 'linux_' | grep -q .; then
  log "wheels for another interpreter or machine:"; ls "$ROOT/opt/kassa/wheels" >&2; exit 1
fi

# The newest glibc a manylinux wheel here needs (manylinux_2_34: glibc 2.34).
GLIBC=$(ls "$ROOT/opt/kassa/wheels" | grep -o 'manylinux_2_[0-9]*' | sed 's/manylinux_2_//' \
  | sort -n | tail -1)
GLIBC=2.${GLIBC:-17}

cat >"$ROOT/opt/kassa/BUILD" <<INFO
kassa $PYVERSION
commit $COMMIT
python $PYVER
built $(date -u +%Y-%m-%dT%H:%M:%SZ)
INFO

install -D -m 0755 /dev/stdin "$ROOT/usr/bin/kassa" <<'WRAP'
#!/bin/sh
# kassa, from its own virtual environment (made by the package's postinst).
if [ ! -x /opt/kassa/venv/bin/kassa ]; then
  echo "kassa: /opt/kassa/venv is missing; reinstall: apt-get install --reinstall kassa" >&2
  exit 1
fi
exec /opt/kassa/venv/bin/kassa "$@"
WRAP

D=$HERE/deb
install -D -m 0644 "$D/kassa-till@.service" "$ROOT/lib/systemd/system/kassa-till@.service"
install -D -m 0644 "$D/kassa-agent.service" "$ROOT/lib/systemd/system/kassa-agent.service"
install -D -m 0644 "$D/kassa-hq.service" "$ROOT/lib/systemd/system/kassa-hq.service"
install -D -m 0644 "$HERE/99-kassa-scanner.rules" "$ROOT/lib/udev/rules.d/99-kassa-scanner.rules"
for f in kassa.toml agent.toml hq.env; do
  install -D -m 0644 "$D/etc/$f" "$ROOT/usr/share/kassa/etc/$f"
done
install -D -m 0644 "$WORK/src/packaging/kassa.example.toml" \
  "$ROOT/usr/share/doc/kassa/kassa.example.toml"
install -D -m 0644 "$WORK/src/README.md" "$ROOT/usr/share/doc/kassa/README.md"
cat >"$WORK/copyright" <<COPYRIGHT
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: kassa

Files: *
Copyright: the kassa developers
License: Apache-2.0
 On Debian systems the full text of the Apache License 2.0 is in
 /usr/share/common-licenses/Apache-2.0.
COPYRIGHT
install -D -m 0644 "$WORK/copyright" "$ROOT/usr/share/doc/kassa/copyright"
MAINTAINER="${DEBFULLNAME:-kassa developers} <${DEBEMAIL:-kassa@localhost}>"
printf 'kassa (%s) stable; urgency=medium\n\n  * Built from commit %s.\n\n -- %s  %s\n' \
  "$VERSION" "$COMMIT" "$MAINTAINER" "$(date -R)" | gzip -9n >"$WORK/changelog.gz"
install -D -m 0644 "$WORK/changelog.gz" "$ROOT/usr/share/doc/kassa/changelog.gz"

for s in postinst prerm postrm; do
  sed -e "s/@VERSION@/$PYVERSION/" -e "s/@PYVER@/$PYVER/" "$D/$s" >"$ROOT/DEBIAN/$s"
  chmod 0755 "$ROOT/DEBIAN/$s"
done
SIZE=$(du -sk --exclude=DEBIAN "$ROOT" | cut -f1)
# python3: the wheels' CPython (see --python). python3-venv: postinst's venv and pip.
# libzbar0: pyzbar loads it; libgl1, libglib2.0-0: opencv-python's cv2 links them;
# libc6: the manylinux wheels' glibc; libusb-1.0-0: pyusb, for USB receipt printers. (psycopg[binary] carries its own libpq.)
cat >"$ROOT/DEBIAN/control" <<CONTROL
Package: kassa
Version: $VERSION
Architecture: $ARCH
Maintainer: $MAINTAINER
Installed-Size: $SIZE
Depends: python3 (>= $PYVER), python3 (<< $PYNEXT), python3-venv, libc6 (>= $GLIBC), libzbar0, libgl1, libglib2.0-0, libusb-1.0-0, passwd
Section: misc
Priority: optional
Description: offline-first loyalty agent for checkout terminals
 kassa identifies a loyalty customer at the till, prices the basket against
 the chain's loyalty rules cached locally, commits the sale durably and syncs
 with HQ whenever the network allows. This package holds the cashier app,
 the headless agent for a store's own POS software and the reference HQ, as
 systemd units (kassa-till@.service, kassa-agent.service, kassa-hq.service),
 none enabled.
CONTROL

mkdir -p "$OUT"
DEB=$OUT/kassa_${VERSION}_${ARCH}.deb
# gzip: the wheels are zip files already, which xz shrinks little and slowly (minutes).
dpkg-deb --root-owner-group -Zgzip --build "$ROOT" "$DEB" >/dev/null
log "$DEB ($(du -h "$DEB" | cut -f1))"
if command -v lintian >/dev/null 2>&1; then
  lintian --no-tag-display-limit "$DEB" >&2 || log "lintian has remarks (above)"
fi
echo "$DEB"
