#!/usr/bin/env bash
# The whole test suite: unit tests, then integration and end-to-end tests against a real platform
# (PostgreSQL, Temporal, Docker, gateway, API, worker) started once for the run in a private RORO_HOME.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
cd "$REPO"

npm run build

# The function server's protocol suite runs on the host's Python, in a venv of its own.
PYVENV=runtimes/python/.venv-test
if [ ! -x "$PYVENV/bin/pytest" ]; then
  /usr/bin/python3 -m venv "$PYVENV"
  "$PYVENV/bin/pip" install -q --disable-pip-version-check pytest numpy pandas
fi
(cd runtimes/python && .venv-test/bin/python -m pytest -q -p no:cacheprovider tests)

export RORO_HOME=${RORO_TEST_HOME:-$(mktemp -d /tmp/roro-test.XXXXXX)}
export RORO_PORT_BASE=${RORO_TEST_PORT_BASE:-17400}
export RORO_ADMIN_EMAIL=admin@roro.test
export RORO_ADMIN_PASSWORD=${RORO_ADMIN_PASSWORD:-$(head -c 18 /dev/urandom | base64 | tr -d '/+=')}
export RORO_URL="http://127.0.0.1:${RORO_PORT_BASE}"
# Small logs, so that the tests see them rotate (test/e2e/server-logs.test.ts).
export RORO_LOG_MAX_BYTES=262144
export XDG_CONFIG_HOME="$RORO_HOME/cli-config"
unset TEMPORAL_ADDRESS RORO_TOKEN

cleanup() {
  bin/roro server down >/dev/null 2>&1 || true
  if [ -z "${RORO_KEEP_TEST_HOME:-}" ]; then rm -rf "$RORO_HOME"; fi
}
trap cleanup EXIT

echo "-----> Starting a test platform in $RORO_HOME (ports from $RORO_PORT_BASE)" >&2
if ! bin/roro server up >"$RORO_HOME.up.log" 2>&1; then
  cat "$RORO_HOME.up.log" >&2
  exit 1
fi

shopt -s nullglob
files=(dist/test/unit/*.test.js dist/test/integration/*.test.js dist/test/e2e/*.test.js)
# Restarting the platform must come last: it checks that state survives `down` and `up`.
files+=(dist/test/last/*.test.js)
node --test --test-concurrency=1 --test-reporter=spec "${files[@]}"
