#!/usr/bin/env bash
# Make sure Debian's Chromium is installed: the browser tests drive /usr/bin/chromium through
# Playwright (Playwright's own browser download cannot run here). Idempotent; needs root (or
# sudo) only when Chromium is missing.
set -euo pipefail

CHROMIUM="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ -x "$CHROMIUM" ]; then
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "ensure-chromium: $CHROMIUM missing and not root; install the 'chromium' package" >&2
    exit 1
  fi
fi

export DEBIAN_FRONTEND=noninteractive
# A stale package list may not know the current chromium build: refresh once on failure.
$SUDO apt-get install -y -q --no-install-recommends chromium fonts-dejavu-core >/dev/null 2>&1 || {
  $SUDO apt-get update -q >/dev/null
  $SUDO apt-get install -y -q --no-install-recommends chromium fonts-dejavu-core >/dev/null
}
"$CHROMIUM" --version
