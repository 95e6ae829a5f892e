#!/bin/sh
# ab-status.sh: the A/B state as key=value lines (read by the agent for its reported state).
set -eu
# shellcheck source=firmware_scripts/ab-lib.sh
. "$(dirname "$0")/ab-lib.sh"

active=$(env_get active a)
echo "active=$active"
echo "version=$(slot_version "$active")"
echo "upgrade_available=$(env_get upgrade_available 0)"
echo "bootcount=$(env_get bootcount 0)"
echo "trying_version=$(env_get trying_version '')"
echo "trying_rollout=$(env_get trying_rollout '')"
echo "last_result=$(env_get last_result none)"
