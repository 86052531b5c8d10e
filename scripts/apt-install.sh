#!/usr/bin/env bash
# Sourced by the ensure-*.sh scripts: `apt_install_quietly PACKAGE` installs one Debian package
# as root without letting its post-install start a service here (policy-rc.d answers 101), so a
# package that ships a server (prometheus, postgresql) leaves nothing running.
apt_install_quietly() {
  local package=$1 policy=/usr/sbin/policy-rc.d created=0 status=0
  apt-get update -qq
  if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && created=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$package" >/dev/null || status=$?
  [ "$created" = 1 ] && rm -f "$policy"
  return "$status"
}
