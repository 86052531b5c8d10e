#!/usr/bin/env bash
# The PostgreSQL tests start throwaway clusters (test/helpers/postgres.ts) with Debian's server
# binaries; install the `postgresql` package when they are missing.
set -euo pipefail
. "$(dirname "$0")/apt-install.sh"
have_server() {
  compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null && return 0
  command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/initdb" ]
}
have_server && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing PostgreSQL for the PostgreSQL tests (apt-get install postgresql)…"
  apt_install_quietly postgresql
  have_server || { echo "apt-get installed postgresql, but no initdb was found under /usr/lib/postgresql" >&2; exit 1; }
  exit 0
else
  echo "The PostgreSQL tests need PostgreSQL's server binaries: run 'sudo apt-get install -y postgresql' first." >&2
  exit 1
fi
