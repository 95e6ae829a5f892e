#!/bin/sh
# ab-watchdog.sh: periodic A/B supervision (clinicbox-health.timer on the appliance). While a
# version is being tried: commit it once healthy; if it is still unhealthy AB_GRACE_S seconds
# after install (default 300), roll back and restart the agent ($AB_RESTART_CMD, default
# `systemctl restart clinicbox-agent`). Covers an agent that runs but never gets healthy and
# cannot roll itself back.
set -eu
here=$(dirname "$0")
# shellcheck source=firmware_scripts/ab-lib.sh
. "$here/ab-lib.sh"

[ "$(env_get upgrade_available 0)" = 1 ] || exit 0
if "$here/ab-health.sh" >/dev/null 2>&1; then
  exec "$here/ab-commit.sh"
fi
age=$(( $(date +%s) - $(env_get installed_at 0) ))
if [ "$age" -gt "${AB_GRACE_S:-300}" ]; then
  echo "ab-watchdog: $(env_get trying_version '?') unhealthy for ${age}s; rolling back" >&2
  "$here/ab-rollback.sh"
  ${AB_RESTART_CMD:-systemctl restart clinicbox-agent}
fi
