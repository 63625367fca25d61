#!/usr/bin/env bash
# The whole test suite, from a fresh clone: a virtual environment with the project and its test tools, the real
# services the integration tests need (started on 127.0.0.1 and stopped at the end), then pytest.
#   bash scripts/test.sh [pytest arguments]
# On a developer's machine without root, the service set-up is skipped and those tests skip with the reason;
# under CI=true a missing service is an error.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
if ! .venv/bin/python -c "import publisher, pytest" 2>/dev/null || [ pyproject.toml -nt .venv/.installed ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e ".[test]"
  touch .venv/.installed
fi

services=()
cleanup() {
  for service in "${services[@]}"; do
    bash "$service" stop >/dev/null 2>&1 || true
  done
}
trap cleanup EXIT

can_install() { [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; }

start_service() {  # start_service SCRIPT ENV_FILE
  local script=$1 env_file=$2
  [ -f "$script" ] || return 0
  if can_install; then
    echo "== starting $(basename "$script" .sh)"
    if bash "$script" start; then
      services+=("$script")
      set -a; . "$env_file"; set +a
    elif [ "${CI:-}" = true ]; then
      echo "error: $script could not start its service" >&2; exit 1
    fi
  elif [ "${CI:-}" = true ]; then
    echo "error: CI needs root and apt-get to set up $script" >&2; exit 1
  else
    echo "note: not root, skipping $script; its tests will skip"
  fi
}

export POSTGRES_ENV_FILE=${POSTGRES_ENV_FILE:-/tmp/publisher-postgres.env}
start_service tests/integration/postgres.sh "$POSTGRES_ENV_FILE"
export WORDPRESS_ENV_FILE=${WORDPRESS_ENV_FILE:-/tmp/publisher-wordpress.env}
start_service tests/integration/wordpress.sh "$WORDPRESS_ENV_FILE"
start_service tests/integration/chromium.sh "${CHROMIUM_ENV_FILE:-/tmp/publisher-chromium.env}"

.venv/bin/python -m pytest "$@"
