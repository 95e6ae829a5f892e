#!/bin/sh
# Build the clinicbox appliance root filesystem (Debian 12, debootstrap).
#
#   image/build.sh [--out DIR] [--cache DIR] [--with-agent] [--smoke]
#
# The debootstrap result is cached outside the repository as <cache>/base-<key>.tar, where the
# key hashes image/packages.txt, the suite and the mirror; only a changed package list rebuilds
# it. On top of the base the script installs the overlay (image/rootfs: systemd units, watchdog
# and pcscd configuration), the firmware scripts (/usr/lib/clinicbox/firmware) and enables the
# units. --with-agent also installs the agent from a wheelhouse into slot A (the full build,
# `make image`); --smoke runs image/smoke.sh in the chroot afterwards (what CI runs).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
suite=${CLINICBOX_IMAGE_SUITE:-bookworm}
mirror=${CLINICBOX_IMAGE_MIRROR:-http://deb.debian.org/debian}
cache=${CLINICBOX_IMAGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/clinicbox/image}
out=""
with_agent=0
smoke=0

while [ $# -gt 0 ]; do
  case "$1" in
    --out) out=$2; shift 2 ;;
    --cache) cache=$2; shift 2 ;;
    --with-agent) with_agent=1; shift ;;
    --smoke) smoke=1; shift ;;
    *) echo "build.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -n "$out" ] || out="$cache/rootfs"

packages=$(grep -v '^#' "$here/packages.txt" | grep -v '^$' | tr '\n' ',' | sed 's/,$//')
key=$( (cat "$here/packages.txt"; echo "$suite $mirror") | sha256sum | cut -c1-16)
base="$cache/base-$key.tar"
mkdir -p "$cache"

if [ ! -f "$base" ]; then
  echo "image: debootstrap $suite ($key), this takes a few minutes once"
  tmp="$cache/debootstrap-$key.tmp"
  rm -rf "$tmp"
  debootstrap --variant=minbase --include="$packages" "$suite" "$tmp" "$mirror"
  rm -rf "$tmp/var/cache/apt/archives/"*.deb "$tmp/var/lib/apt/lists/"*_Packages
  tar -C "$tmp" -cf "$base.part" .
  mv "$base.part" "$base"
  rm -rf "$tmp"
else
  echo "image: cached base $base"
fi

rm -rf "$out"
mkdir -p "$out"
tar -C "$out" -xf "$base"

# Overlay: units and configuration.
cp -R "$here/rootfs/." "$out/"
install -d "$out/usr/lib/clinicbox/firmware" "$out/var/lib/clinicbox" "$out/opt/clinicbox/slots/a" \
  "$out/opt/clinicbox/slots/b"
install -m 0755 "$repo"/firmware_scripts/*.sh "$out/usr/lib/clinicbox/firmware/"
install -m 0755 "$here/firstboot.sh" "$out/usr/lib/clinicbox/firstboot.sh"
install -m 0755 "$here/smoke.sh" "$out/usr/lib/clinicbox/smoke.sh"

for unit in clinicbox-agent.service clinicbox-firstboot.service clinicbox-health.timer \
  pcscd.socket watchdog.service; do
  chroot "$out" systemctl enable "$unit" >/dev/null 2>&1 || {
    echo "image: cannot enable $unit" >&2
    exit 1
  }
done

if [ "$with_agent" = 1 ]; then
  wheels="$cache/wheels-$(sha256sum "$repo/pyproject.toml" | cut -c1-16)"
  if [ ! -d "$wheels" ]; then
    "$repo/.venv/bin/pip" wheel -q -w "$wheels.part" "$repo"
    mv "$wheels.part" "$wheels"
  fi
  rm -rf "$out/tmp/wheels"
  cp -R "$wheels" "$out/tmp/wheels"
  chroot "$out" python3 -m venv /opt/clinicbox/slots/a/venv
  chroot "$out" /opt/clinicbox/slots/a/venv/bin/pip install -q --no-index \
    --find-links /tmp/wheels clinicbox
  rm -rf "$out/tmp/wheels"
  version=$(chroot "$out" /opt/clinicbox/slots/a/venv/bin/python -c \
    'import clinicbox; print(clinicbox.__version__)')
  echo "$version" >"$out/opt/clinicbox/slots/a/VERSION"
fi

echo "image: root filesystem in $out"
if [ "$smoke" = 1 ]; then
  chroot "$out" /usr/lib/clinicbox/smoke.sh
fi
