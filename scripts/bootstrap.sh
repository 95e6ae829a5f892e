#!/usr/bin/env bash
# Installs everything clinicbox needs on a Debian machine, idempotently:
# apt packages (broker, PC/SC stack with the virtual reader driver, CJK fonts, Chromium,
# PostgreSQL), then a virtualenv with the pinned Python dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(mosquitto pcscd vsmartcard-vpcd libpcsclite-dev swig fonts-noto-cjk chromium
              postgresql postgresql-client iproute2 shellcheck debootstrap)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "bootstrap: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

stamp=.venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)
if [ ! -f "$stamp" ]; then
  [ -x .venv/bin/python ] || python3 -m venv .venv
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q -e '.[dev]'
  rm -f .venv/.installed-*
  touch "$stamp"
fi
