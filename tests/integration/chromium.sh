#!/usr/bin/env bash
# Debian's Chromium for the browser tests (tests/web/test_browser.py, driven by Playwright with executable_path).
#
#   bash tests/integration/chromium.sh start   # install chromium (and a CJK font) if missing, write the env file
#   bash tests/integration/chromium.sh stop    # nothing to stop: each test starts and closes its own browser
#
# Never `playwright install`: it downloads a browser build of its own. Knob: CHROMIUM_ENV_FILE
# (/tmp/publisher-chromium.env).
set -euo pipefail

ENV_FILE=${CHROMIUM_ENV_FILE:-/tmp/publisher-chromium.env}
CHROMIUM=/usr/bin/chromium
PACKAGES=(chromium fonts-wqy-microhei)  # the font: Chinese text in screenshots instead of empty boxes

. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

start() {
    install_missing "${PACKAGES[@]}"
    [ -x "$CHROMIUM" ] || { log "no $CHROMIUM after installing"; exit 1; }
    printf 'export PUBLISHER_TEST_CHROMIUM=%s\n' "$CHROMIUM" >"$ENV_FILE"
    log "ready: $("$CHROMIUM" --version 2>/dev/null || echo chromium)"
}

case "${1:-}" in
    start) start ;;
    stop) ;;
    *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
