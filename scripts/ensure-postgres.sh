#!/usr/bin/env bash
# The PostgreSQL tests start throwaway clusters (test/helpers/postgres.ts) with Debian's server
# binaries; install the `postgresql` package when they are missing.
set -euo pipefail
have_server() {
  compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null && return 0
  command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/initdb" ]
}
have_server && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing PostgreSQL for the PostgreSQL tests (apt-get install postgresql)…"
  apt-get update -qq
  # policy-rc.d 101: the package's post-install must not start its own cluster here; the tests
  # start their own, as the unprivileged `postgres` user the package creates.
  policy=/usr/sbin/policy-rc.d
  created=0
  if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && created=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null || { [ "$created" = 1 ] && rm -f "$policy"; exit 1; }
  [ "$created" = 1 ] && rm -f "$policy"
  have_server || { echo "apt-get installed postgresql, but no initdb was found under /usr/lib/postgresql" >&2; exit 1; }
  exit 0
else
  echo "The PostgreSQL tests need PostgreSQL's server binaries: run 'sudo apt-get install -y postgresql' first." >&2
  exit 1
fi
