#!/bin/sh
# Smoke test of a built root filesystem, run inside it (chroot): the units are valid and
# enabled, pcscd and the watchdog are installed, the A/B scripts work on the image's /bin/sh,
# first boot creates the box key. Exit 0 = pass; prints what failed otherwise.
set -eu
fail() {
  echo "smoke: FAIL $1" >&2
  exit 1
}
grep -q 'VERSION_CODENAME=bookworm' /etc/os-release || fail "not Debian 12"
for unit in clinicbox-agent.service clinicbox-firstboot.service clinicbox-health.timer \
  pcscd.socket watchdog.service; do
  [ "$(systemctl is-enabled "$unit" 2>/dev/null)" = enabled ] || fail "$unit not enabled"
done
systemd-analyze verify --man=no /etc/systemd/system/clinicbox-agent.service \
  /etc/systemd/system/clinicbox-firstboot.service /etc/systemd/system/clinicbox-health.service \
  /etc/systemd/system/clinicbox-health.timer 2>/tmp/verify.log || {
  cat /tmp/verify.log >&2
  fail "systemd-analyze verify"
}
command -v pcscd >/dev/null || fail "pcscd missing"
command -v watchdog >/dev/null || fail "watchdog missing"
python3 -c 'import venv, ssl, sqlite3' || fail "python3 incomplete"
/usr/lib/clinicbox/firstboot.sh
[ -f /var/lib/clinicbox/keys/box.key ] || fail "first boot made no key"
# A/B scripts on the image's own shell: install a tiny slot and roll back by the boot counter.
mkdir -p /tmp/ab/new/bin
echo 9.9.9 >/tmp/ab/new/VERSION
printf '#!/bin/sh\nexit 1\n' >/tmp/ab/new/bin/clinicbox-agent
tar -C /tmp/ab/new -czf /tmp/ab/new.tar.gz .
mkdir -p /opt/clinicbox/slots/a
[ -f /opt/clinicbox/slots/a/VERSION ] || echo 0.0.0 >/opt/clinicbox/slots/a/VERSION
cp /etc/clinicbox/ab.conf /tmp/ab/ab.conf
echo "AB_BOOTENV=/tmp/ab/bootenv" >>/tmp/ab/ab.conf
export AB_CONFIG=/tmp/ab/ab.conf
/usr/lib/clinicbox/firmware/ab-install.sh /tmp/ab/new.tar.gz 9.9.9 >/dev/null
for _ in 1 2 3 4; do /usr/lib/clinicbox/firmware/ab-boot.sh >/dev/null 2>&1; done
/usr/lib/clinicbox/firmware/ab-status.sh | grep -q '^last_result=rolled_back$' || fail "no rollback"
rm -rf /tmp/ab /var/lib/clinicbox/keys /var/lib/clinicbox/bootenv
echo "smoke: ok"
