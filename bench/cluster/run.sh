#!/usr/bin/env bash
# Swarm against local (bench/cluster/cluster.ts): deploy time and requests per second of a
# `replicas: 2` service on the running platform (local driver) and on a cluster-mode platform
# (Swarm driver) that the benchmark starts, on a Docker engine of its own, and removes at the end.
#
#   RORO_HOME=/var/lib/roro bench/cluster/run.sh
#
# Needs root (the engine lives in its own network namespace), iproute2, Debian's docker.io and wrk.
# The admin's password is RORO_ADMIN_PASSWORD or the one `roro server up` generated into RORO_HOME.
# Env: BENCH_ROUNDS (3), BENCH_SECONDS (10), BENCH_CONNECTIONS (8).
set -euo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
cd "$REPO"

die() { printf 'Error: %s\n' "$*" >&2; exit 2; }
[ "$(id -u)" = 0 ] || die "run it as root: the Swarm platform's Docker engine gets a network namespace of its own."
command -v wrk >/dev/null || die "wrk is missing: apt-get install wrk."
command -v dockerd >/dev/null || die "dockerd is missing: apt-get install docker.io."
docker info >/dev/null 2>&1 || die "the Docker engine does not answer: start the platform with roro server up."

npx tsc -p tsconfig.json
exec node dist/bench/cluster/cluster.js
