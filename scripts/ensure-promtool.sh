#!/usr/bin/env bash
# The metrics test checks GET /metrics with promtool, which Debian ships in the `prometheus`
# package (there is no smaller one); install it when it is missing.
set -euo pipefail
command -v promtool >/dev/null 2>&1 && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing promtool for the metrics test (apt-get install prometheus)…"
  apt-get update -qq
  # policy-rc.d 101: the package's post-install must not start a Prometheus server here.
  policy=/usr/sbin/policy-rc.d
  created=0
  if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && created=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null || { [ "$created" = 1 ] && rm -f "$policy"; exit 1; }
  [ "$created" = 1 ] && rm -f "$policy"
  exit 0
else
  echo "The metrics test needs promtool: run 'sudo apt-get install -y prometheus' first." >&2
  exit 1
fi
