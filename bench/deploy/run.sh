#!/usr/bin/env bash
# Deploy time of roro (cold and code-only) against the floor measured in the same run: a plain
# `docker build` of the same generated Dockerfile + `docker run` + first successful request.
#
#   RORO_HOME=/var/lib/roro RORO_URL=http://127.0.0.1:7400 bench/deploy/run.sh
#
# Needs a running platform (`roro server up`) and a signed-in CLI (`roro login`), or RORO_TOKEN.
# Env: BENCH_ROUNDS (3 code-only rounds), BENCH_PROJECT (bench-deploy, deleted and re-created),
# BENCH_FLOOR_ONLY=1 (measure the floor only), BENCH_KEEP=1 (keep the project afterwards).
set -euo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
cd "$REPO"

die() { printf 'Error: %s\n' "$*" >&2; exit 1; }
docker info >/dev/null 2>&1 || die "the Docker engine does not answer: start the platform with roro server up."
if [ "${BENCH_FLOOR_ONLY:-}" != 1 ]; then
  [ -n "${RORO_HOME:-}" ] || die "set RORO_HOME to the running platform's home (its tls/ca.crt verifies the gateway)."
  bin/roro whoami >/dev/null || die "the CLI is not signed in to ${RORO_URL:-the local platform}: run roro login (or set RORO_TOKEN)."
fi

npx tsc -p tsconfig.json
node dist/bench/deploy/deploy.js
