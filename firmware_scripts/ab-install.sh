#!/bin/sh
# ab-install.sh ARTIFACT VERSION [ROLLOUT_ID]
# Write ARTIFACT into the inactive slot and arm it for the next boot (Mender's ArtifactInstall).
# dir mode: ARTIFACT is a tar.gz of the slot (VERSION, bin/clinicbox-agent, ...).
# block mode: ARTIFACT is a filesystem image written to the inactive partition.
# The signature was verified by the agent before this runs. Refuses while an update is tried.
set -eu
# shellcheck source=firmware_scripts/ab-lib.sh
. "$(dirname "$0")/ab-lib.sh"

artifact=${1:?usage: ab-install.sh ARTIFACT VERSION [ROLLOUT_ID]}
version=${2:?usage: ab-install.sh ARTIFACT VERSION [ROLLOUT_ID]}
rollout=${3:-}

if [ "$(env_get upgrade_available 0)" = 1 ]; then
  echo "ab-install: an update is already being tried; commit or roll back first" >&2
  exit 3
fi
active=$(env_get active a)
target=$(other_slot "$active")
dest=$(slot_path "$target")

if [ "$AB_MODE" = block ]; then
  dd if="$artifact" of="$dest" bs=4M conv=fsync status=none
  : "${AB_MOUNT:?AB_MOUNT is not set in $AB_CONFIG}"
  mount "$dest" "$AB_MOUNT"
  found=$(cat "$AB_MOUNT/VERSION" 2>/dev/null || true)
  umount "$AB_MOUNT"
else
  staging="$dest.staging"
  rm -rf "$staging"
  mkdir -p "$staging"
  tar -xzf "$artifact" -C "$staging"
  found=$(cat "$staging/VERSION" 2>/dev/null || true)
  rm -rf "$dest"
  mv "$staging" "$dest"
  sync
fi
if [ "$found" != "$version" ]; then
  echo "ab-install: artifact says version '$found', expected '$version'" >&2
  exit 4
fi
env_set previous="$active" active="$target" upgrade_available=1 bootcount=0 \
  trying_version="$version" trying_rollout="$rollout" last_result=none \
  installed_at="$(date +%s)"
echo "ab-install: $version installed in slot $target; reboot to try it"
