#!/bin/sh
# Shared functions of the A/B scripts (sourced, not run). Reads the layout from $AB_CONFIG
# (default /etc/clinicbox/ab.conf), a shell fragment setting:
#   AB_MODE          dir (slots are directories: CI, app-slot appliances) | block (partitions)
#   AB_SLOT_A/B      slot directories (dir) or block devices (block)
#   AB_MOUNT         block mode: where the inactive slot is mounted while installing
#   AB_BOOTENV       boot environment file
#   AB_BOOTENV_TOOL  file (key=value lines, replaced atomically) | grub-editenv
#   AB_BOOT_LIMIT    boots a new version gets without a commit before rolling back (default 3)
#   AB_DATA_DIR      the agent's data dir (ready marker, link state, pid file)
#   AB_LINK_MAX_AGE  seconds the link state file may be old and still count (default 30)
# Boot environment variables: active (a|b), previous, upgrade_available (0|1), bootcount,
# trying_version, trying_rollout, last_result (none|committed|rolled_back).

AB_CONFIG=${AB_CONFIG:-/etc/clinicbox/ab.conf}
if [ ! -r "$AB_CONFIG" ]; then
  echo "ab: cannot read $AB_CONFIG" >&2
  exit 2
fi
# shellcheck source=/dev/null
. "$AB_CONFIG"
AB_MODE=${AB_MODE:-dir}
AB_BOOTENV_TOOL=${AB_BOOTENV_TOOL:-file}
AB_BOOT_LIMIT=${AB_BOOT_LIMIT:-3}
AB_LINK_MAX_AGE=${AB_LINK_MAX_AGE:-30}
: "${AB_SLOT_A:?AB_SLOT_A is not set in $AB_CONFIG}"
: "${AB_SLOT_B:?AB_SLOT_B is not set in $AB_CONFIG}"
: "${AB_BOOTENV:?AB_BOOTENV is not set in $AB_CONFIG}"

env_get() {
  # env_get NAME DEFAULT
  if [ "$AB_BOOTENV_TOOL" = grub-editenv ]; then
    value=$(grub-editenv "$AB_BOOTENV" list | sed -n "s/^$1=//p")
  elif [ -f "$AB_BOOTENV" ]; then
    value=$(sed -n "s/^$1=//p" "$AB_BOOTENV")
  else
    value=""
  fi
  if [ -n "$value" ]; then echo "$value"; else echo "$2"; fi
}

env_set() {
  # env_set NAME=VALUE... (all in one atomic write)
  if [ "$AB_BOOTENV_TOOL" = grub-editenv ]; then
    grub-editenv "$AB_BOOTENV" set "$@"
    return
  fi
  tmp="$AB_BOOTENV.tmp.$$"
  if [ -f "$AB_BOOTENV" ]; then cp "$AB_BOOTENV" "$tmp"; else : >"$tmp"; fi
  for pair in "$@"; do
    name=${pair%%=*}
    grep -v "^$name=" "$tmp" >"$tmp.n" || true
    echo "$pair" >>"$tmp.n"
    mv "$tmp.n" "$tmp"
  done
  sync "$tmp" 2>/dev/null || sync
  mv "$tmp" "$AB_BOOTENV"
}

slot_path() {
  case "$1" in
    a) echo "$AB_SLOT_A" ;;
    b) echo "$AB_SLOT_B" ;;
    *) echo "ab: unknown slot $1" >&2; exit 2 ;;
  esac
}

other_slot() {
  if [ "$1" = a ]; then echo b; else echo a; fi
}

slot_version() {
  # slot_version SLOT: the VERSION file of a directory slot (block mode: mounted by the caller)
  dir=$(slot_path "$1")
  if [ -f "$dir/VERSION" ]; then cat "$dir/VERSION"; else echo ""; fi
}
