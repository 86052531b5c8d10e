#!/usr/bin/env bash
# One console browser test drives Debian's Firefox ESR (over WebDriver BiDi, puppeteer-core);
# install it when it is missing. No browser build is ever downloaded from anywhere else.
set -euo pipefail
[ -x /usr/bin/firefox-esr ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Firefox ESR for the browser tests (apt-get install firefox-esr)…"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq firefox-esr >/dev/null
else
  echo "The browser tests need /usr/bin/firefox-esr: run 'sudo apt-get install -y firefox-esr' first." >&2
  exit 1
fi
