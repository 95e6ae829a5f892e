#!/bin/sh
# ab-run.sh [AGENT ARGS...]: boot loop for a simulated appliance (tests, the demo). Each turn is
# one "boot": ab-boot.sh picks the slot, its bin/clinicbox-agent runs. Exit 75 from the agent
# means "reboot requested"; any other non-zero exit is a crash and also reboots (the watchdog's
# job on the appliance, where systemd and the bootloader play this part). Exit 0 or a TERM
# signal ends the loop.
set -eu
here=$(dirname "$0")
child=""
stopping=0
trap 'stopping=1; [ -n "$child" ] && kill -TERM "$child" 2>/dev/null' TERM INT

while [ "$stopping" = 0 ]; do
  slot=$("$here/ab-boot.sh")
  "$slot/bin/clinicbox-agent" "$@" &
  child=$!
  rc=0
  wait "$child" || rc=$?
  # A trapped signal interrupts wait: wait again for the child to finish.
  if [ "$stopping" = 1 ]; then
    wait "$child" 2>/dev/null || true
    break
  fi
  child=""
  if [ "$rc" = 0 ]; then
    break
  fi
  echo "ab-run: agent exited $rc; rebooting" >&2
  sleep "${AB_REBOOT_DELAY:-0.2}"
done
