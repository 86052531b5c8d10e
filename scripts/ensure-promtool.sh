#!/usr/bin/env bash
# The metrics test checks GET /metrics with promtool, which Debian ships in the `prometheus`
# package (there is no smaller one); install it when it is missing.
set -euo pipefail
. "$(dirname "$0")/apt-install.sh"
command -v promtool >/dev/null 2>&1 && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing promtool for the metrics test (apt-get install prometheus)…"
  apt_install_quietly prometheus
  exit 0
else
  echo "The metrics test needs promtool: run 'sudo apt-get install -y prometheus' first." >&2
  exit 1
fi
