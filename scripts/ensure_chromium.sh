#!/usr/bin/env bash
# The browser tests drive Debian's Chromium; install it when we can, else say how.
set -euo pipefail
if [ -n "${CHROMIUM_PATH:-}" ] && [ -x "${CHROMIUM_PATH}" ]; then exit 0; fi
if command -v chromium >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian's chromium for the browser tests..."
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  exit 0
fi
cat >&2 <<'MSG'
Chromium is needed for the browser tests and was not found.
Install it (Debian/Ubuntu: sudo apt-get install chromium) or set CHROMIUM_PATH to a
Chromium/Chrome executable, then run `make test` again.
MSG
exit 1
