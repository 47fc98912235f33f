#!/usr/bin/env bash
# Benchmark roro-serve against firefly 0.1.15 (its own wsgiref CLI, and under gunicorn as rorodata
# deployed it) serving the same function on 127.0.0.1, at concurrency 1 and 8.
# The same comparison inside containers (same image and limits for every server): node dist/bench/function-server/container.js
# Env: BENCH_VENV (default /tmp/roro-bench/venv), DURATION seconds per run (5), MAX_REQUESTS per run (50000).
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
RUNTIME="$(cd "$HERE/../../runtimes/python" && pwd)"
VENV="${BENCH_VENV:-/tmp/roro-bench/venv}"
DURATION="${DURATION:-5}"
MAX_REQUESTS="${MAX_REQUESTS:-50000}"
WORK="$(mktemp -d)"
RESULTS="$WORK/results.jsonl"
SERVER_PID=""

cleanup() {
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then kill "$SERVER_PID"; wait "$SERVER_PID" || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

if [[ ! -x "$VENV/bin/firefly" ]]; then
  echo "-----> creating bench venv at $VENV" >&2
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q firefly-python==0.1.15 >&2
fi
PY="$VENV/bin/python"
echo "-----> $("$PY" --version), $("$VENV/bin/pip" list 2>/dev/null | grep -iE '^(firefly-python|gunicorn|webob) ' | tr -s ' ' | paste -sd, -)" >&2

free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

wait_ready() {
  local port=$1
  for _ in $(seq 1 100); do
    if curl -sf -o /dev/null -X POST -d '{"n": 1}' "http://127.0.0.1:$port/square"; then return 0; fi
    sleep 0.1
  done
  echo "server on port $port did not start; see $WORK" >&2; return 1
}

bench() {
  local label=$1 port=$2
  wait_ready "$port"
  for c in 1 8; do
    local out
    out="$("$PY" "$HERE/loadgen.py" --url "http://127.0.0.1:$port/square" --concurrency "$c" \
      --duration "$DURATION" --max-requests "$MAX_REQUESTS")"
    echo "$out" | "$PY" -c "import json,sys; r=json.load(sys.stdin); r.update(server='$label', concurrency=$c); print(json.dumps(r))" >> "$RESULTS"
    echo "       $label c=$c $out" >&2
  done
  kill "$SERVER_PID"; wait "$SERVER_PID" || true; SERVER_PID=""
}

cd "$HERE"
port=$(free_port)
echo "-----> roro-serve (default workers and threads)" >&2
PYTHONPATH="$RUNTIME" "$PY" -m roro.server --function bench_funcs.square --host 127.0.0.1 --port "$port" \
  > "$WORK/roro.out" 2> "$WORK/roro.err" & SERVER_PID=$!
bench roro "$port"

port=$(free_port)
echo "-----> firefly 0.1.15 CLI (wsgiref)" >&2
"$VENV/bin/firefly" -b "127.0.0.1:$port" bench_funcs.square > "$WORK/ff.out" 2> "$WORK/ff.err" & SERVER_PID=$!
bench firefly "$port"

port=$(free_port)
workers=$("$PY" -c 'import os; print(len(os.sched_getaffinity(0)))')
echo "-----> firefly 0.1.15 under gunicorn ($workers sync workers)" >&2
FIREFLY_FUNCTIONS=bench_funcs.square "$VENV/bin/gunicorn" -w "$workers" -b "127.0.0.1:$port" firefly.main:app \
  > "$WORK/gu.out" 2> "$WORK/gu.err" & SERVER_PID=$!
bench firefly-gunicorn "$port"

"$PY" "$HERE/summarize.py" "$RESULTS"
