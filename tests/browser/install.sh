#!/usr/bin/env bash
# Makes sure Debian's headless Chromium and its WebDriver (chromium, chromium-driver) are
# installed, for the browser test of `kubectl tripreport serve`, and prints the chromedriver path.
# Installing needs root (as on CI and on this project's machines); otherwise it says what to run.
# A second call with both present only prints the path.
set -euo pipefail

chromium=/usr/bin/chromium
driver=/usr/bin/chromedriver
log() { echo "[browser] $*" >&2; }

if [[ -x $chromium && -x $driver ]]; then
  echo "$driver"
  exit 0
fi
if [[ $(id -u) -ne 0 ]]; then
  log "Chromium and ChromeDriver are missing and installing them needs root; run:"
  log "  sudo apt-get install -y --no-install-recommends chromium chromium-driver"
  exit 1
fi
log "installing Debian's chromium and chromium-driver (about 100 MB, once) ..."
# apt takes its own lock; a second caller waits for the first instead of failing.
export DEBIAN_FRONTEND=noninteractive
apt-get -o DPkg::Lock::Timeout=600 update -qq >&2 ||
  log "apt-get update failed; trying the package lists already on this machine"
apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends chromium chromium-driver >&2
if [[ ! -x $chromium || ! -x $driver ]]; then
  log "apt-get finished but $chromium or $driver is still missing"
  exit 1
fi
log "installed: $("$chromium" --version 2>/dev/null), $("$driver" --version 2>/dev/null | head -1)"
echo "$driver"
