#!/bin/sh
# ab-rollback.sh: switch back to the previous slot now (failed health check within the grace
# period, the watchdog, or an operator's roll back). Takes effect at the next boot.
set -eu
# shellcheck source=firmware_scripts/ab-lib.sh
. "$(dirname "$0")/ab-lib.sh"

active=$(env_get active a)
previous=$(env_get previous "$(other_slot "$active")")
if [ -z "$(slot_version "$previous")" ] && [ "$AB_MODE" = dir ]; then
  echo "ab-rollback: slot $previous holds no version" >&2
  exit 3
fi
env_set active="$previous" previous="$active" upgrade_available=0 bootcount=0 \
  last_result=rolled_back
echo "ab-rollback: slot $previous is active from the next boot"
