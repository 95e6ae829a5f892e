#!/bin/sh
# ab-health.sh: is the running version healthy? Agent process up (pid file), box ready (ready
# marker), cloud link connected (link state file written by the agent, fresh). Exit 0 = healthy.
set -eu
# shellcheck source=firmware_scripts/ab-lib.sh
. "$(dirname "$0")/ab-lib.sh"
: "${AB_DATA_DIR:?AB_DATA_DIR is not set in $AB_CONFIG}"

fail() {
  echo "ab-health: $1" >&2
  exit 1
}
[ -f "$AB_DATA_DIR/agent.pid" ] || fail "no agent pid file"
kill -0 "$(cat "$AB_DATA_DIR/agent.pid")" 2>/dev/null || fail "agent not running"
[ -f "$AB_DATA_DIR/ready" ] || fail "agent not ready"
[ -f "$AB_DATA_DIR/link" ] || fail "no link state"
[ "$(cat "$AB_DATA_DIR/link")" = connected ] || fail "cloud link not connected"
age=$(( $(date +%s) - $(stat -c %Y "$AB_DATA_DIR/link") ))
[ "$age" -le "$AB_LINK_MAX_AGE" ] || fail "link state is ${age}s old"
echo "ab-health: ok"
