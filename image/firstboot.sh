#!/bin/sh
# First boot of a clinicbox appliance: make the box's own key and wait for provisioning.
# The key never leaves the box. The claim step (CSR with the factory claim credential, device
# certificate once the vendor or clinic assigned the box) belongs to the provisioning work
# (docs/fleet.md, "Provisioning"); when it provides `clinicbox provision`, this calls it.
set -eu
state=/var/lib/clinicbox
install -d -m 0700 "$state/keys"
if [ ! -f "$state/keys/box.key" ]; then
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$state/keys/box.key"
  chmod 0600 "$state/keys/box.key"
fi
if [ ! -f "$state/bootenv" ]; then
  printf 'active=a\nupgrade_available=0\nbootcount=0\nlast_result=none\n' >"$state/bootenv"
fi
install -d "$state/box"
if command -v clinicbox >/dev/null 2>&1 && clinicbox provision --help >/dev/null 2>&1; then
  clinicbox provision --key "$state/keys/box.key" --out /etc/clinicbox/box.toml
  touch "$state/provisioned"
fi
