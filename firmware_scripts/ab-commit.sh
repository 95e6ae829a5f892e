#!/bin/sh
# ab-commit.sh: after a health check passes, make the tried version permanent (Mender
# ArtifactCommit, RAUC mark-good). Nothing to do when no update is being tried.
set -eu
here=$(dirname "$0")
# shellcheck source=firmware_scripts/ab-lib.sh
. "$here/ab-lib.sh"

if [ "$(env_get upgrade_available 0)" != 1 ]; then
  echo "ab-commit: nothing to commit"
  exit 0
fi
"$here/ab-health.sh"
env_set upgrade_available=0 bootcount=0 last_result=committed
echo "ab-commit: $(env_get trying_version '?') committed in slot $(env_get active a)"
