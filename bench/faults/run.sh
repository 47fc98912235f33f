#!/usr/bin/env bash
# The fault matrix (bench/faults/run.ts) against the platform that `roro server up` started in
# RORO_HOME (and RORO_PORT_BASE, if not the default): builds, then runs every cell it is asked for.
#
#   RORO_HOME=/var/lib/roro bench/faults/run.sh --skip dockerd
#
# The dockerd cells kill -9 the Docker engine: run them only where no one else uses that engine.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
cd "$REPO"
npx tsc -p tsconfig.json
exec node dist/bench/faults/run.js "$@"
