#!/bin/sh
# ab-boot.sh: the boot-time slot choice (bootloader logic; run before the agent starts, e.g. as
# ExecStartPre). Counts boots of an uncommitted version; past AB_BOOT_LIMIT it switches back to
# the previous slot by itself. Prints the slot directory to start from.
set -eu
# shellcheck source=firmware_scripts/ab-lib.sh
. "$(dirname "$0")/ab-lib.sh"

active=$(env_get active a)
if [ "$(env_get upgrade_available 0)" = 1 ]; then
  count=$(( $(env_get bootcount 0) + 1 ))
  if [ "$count" -gt "$AB_BOOT_LIMIT" ]; then
    previous=$(env_get previous "$(other_slot "$active")")
    echo "ab-boot: $(env_get trying_version '?') failed $AB_BOOT_LIMIT boots; back to slot $previous" >&2
    env_set active="$previous" previous="$active" upgrade_available=0 bootcount=0 \
      last_result=rolled_back
    active=$previous
  else
    env_set bootcount="$count"
  fi
fi
slot_path "$active"
