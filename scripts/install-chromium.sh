#!/usr/bin/env bash
# Installs Debian's chromium for the report's browser tests (tests/report/test_report_browser.py
# skip without it). Needs root and apt-get; does nothing when chromium is already there.
set -euo pipefail
if command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-chromium: apt-get is not available; the browser tests will skip" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq chromium >/dev/null
