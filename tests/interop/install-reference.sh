#!/bin/sh
# Installs Debian's reference Mandos 1.8.16 (packages mandos and mandos-client,
# plus the tools the interop tests drive them with) WITHOUT starting any
# service. Idempotent: when everything is present at version 1.8.16 it changes
# nothing and needs no network. Must run as root to install anything.
#
# Services: while installing, a /usr/sbin/policy-rc.d that exits 101 ("action
# forbidden") makes invoke-rc.d / deb-systemd-invoke skip every start. An
# existing policy-rc.d is left alone; one we created is removed afterwards,
# even on failure or interruption.
#
# update-initramfs: the mandos-client postinst generates client keys under
# /etc/keys/mandos and runs update-initramfs. Interop tests never use those
# keys. update-initramfs is replaced by a no-op for the duration of the
# install (dpkg-divert, undone afterwards, also if initramfs-tools itself
# comes with this install) so that the install neither
# rebuilds this machine's initramfs nor fails where there is no kernel.
#
# Usage: tests/interop/install-reference.sh [--check]
#   --check   only report (exit 0 if installed, 1 if not); never installs.
set -eu

VERSION=1.8.16
PACKAGES="mandos mandos-client gnutls-bin gnupg dbus"

installed_version() {
  dpkg-query -W -f='${Status}|${Version}' "$1" 2>/dev/null | sed -n 's/^install ok installed|//p'
}

missing_packages() {
  for package in $PACKAGES; do
    version=$(installed_version "$package")
    case "$package:$version" in
      mandos:"$VERSION"-* | mandos-client:"$VERSION"-*) ;;
      mandos:* | mandos-client:*) printf ' %s' "$package" ;;
      *:) printf ' %s' "$package" ;;
      *) ;;
    esac
  done
}

missing=$(missing_packages)
if [ -z "$missing" ]; then
  exit 0
fi
if [ "${1:-}" = "--check" ]; then
  echo "install-reference: not installed:$missing" >&2
  exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-reference: missing:$missing; run as root to install them" >&2
  exit 1
fi

policy=/usr/sbin/policy-rc.d
initramfs=/usr/sbin/update-initramfs
created_policy=""
diverted=""
restore() {
  if [ -n "$diverted" ]; then
    rm -f "$initramfs"
    dpkg-divert --quiet --local --rename --remove "$initramfs" || true
  fi
  if [ -n "$created_policy" ]; then
    rm -f "$policy"
  fi
}
trap restore EXIT
trap 'exit 130' INT TERM HUP

if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\n# Temporary: tests/interop/install-reference.sh\nexit 101\n' > "$policy"
  chmod 0755 "$policy"
  created_policy=yes
fi
# Divert update-initramfs unless someone else already did. This works even
# when initramfs-tools is installed in this same run (its file then lands
# at the diverted name and is moved back afterwards).
if ! dpkg-divert --list "$initramfs" | grep -q .; then
  dpkg-divert --quiet --local --rename --add "$initramfs"
  diverted=yes
  printf '#!/bin/sh\n# Temporary no-op: tests/interop/install-reference.sh\nexit 0\n' \
    > "$initramfs"
  chmod 0755 "$initramfs"
fi

export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y --no-install-recommends $missing; then
  # A stale package list is the usual cause; refresh once and retry.
  apt-get update
  apt-get install -y --no-install-recommends $missing
fi

still=$(missing_packages)
if [ -n "$still" ]; then
  echo "install-reference: could not install version $VERSION of:$still" >&2
  exit 1
fi
echo "install-reference: installed:$missing"
