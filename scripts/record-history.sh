#!/usr/bin/env bash
# Records one closed workflow's history as a replay fixture:
#   scripts/record-history.sh WORKFLOW_ID [RUN_ID] NAME
# writes test/fixtures/histories/NAME.json, which test/unit/workflow-replay.test.ts then replays
# with the workflow code of every later commit. Run it against a platform running today's code
# (`roro server up`), in the same environment (RORO_PORT_BASE, RORO_TEMPORAL_PORT or TEMPORAL_ADDRESS).
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)

die() { printf 'Error: %s\n' "$*" >&2; exit 1; }

case $# in
  2) wf=$1 run='' name=$2 ;;
  3) wf=$1 run=$2 name=$3 ;;
  *) die "usage: $0 WORKFLOW_ID [RUN_ID] NAME (for example: $0 deploy:hello 0193... deploy-succeeded)" ;;
esac
[[ $name =~ ^[a-z0-9][a-z0-9-]*$ ]] || die "NAME '$name' must be lowercase letters, digits and '-' (it becomes NAME.json)."
out="$REPO/test/fixtures/histories/$name.json"
[ -e "$out" ] && die "$out exists: a recorded history is never re-recorded; pick another NAME."

temporal="$REPO/.venv/bin/temporal"
[ -x "$temporal" ] || die "$temporal is missing: run scripts/setup.sh."
# The platform's own settings say where its Temporal listens (core/config.ts).
address=$(cd "$REPO" && node --input-type=module -e 'const { parsePlatformEnv } = await import("./dist/core/config.js"); process.stdout.write(parsePlatformEnv().temporalAddress)') ||
  die "cannot read the platform's settings: build first (npm run build)."
"$temporal" operator cluster health --address "$address" >/dev/null 2>&1 ||
  die "no Temporal server answers at $address: start the platform (roro server up) with the same RORO_HOME and RORO_PORT_BASE, or set TEMPORAL_ADDRESS."
ns=(--address "$address" --namespace "${TEMPORAL_NAMESPACE:-default}")

# Only a closed workflow's history is complete; replaying a running one proves less.
status=$("$temporal" workflow describe "${ns[@]}" -w "$wf" ${run:+-r "$run"} -o json |
  node -e 'let s="";process.stdin.on("data",(d)=>(s+=d)).on("end",()=>process.stdout.write(JSON.parse(s).workflowExecutionInfo.status))')
[ "$status" != WORKFLOW_EXECUTION_STATUS_RUNNING ] || die "workflow $wf is still running: record it once it has closed."

tmp=$(mktemp "$out.XXXXXX")
trap 'rm -f "$tmp"' EXIT
"$temporal" workflow show "${ns[@]}" -w "$wf" ${run:+-r "$run"} -o json >"$tmp"
# The worker's identity names this machine; the replay does not read it.
node -e '
  const fs = require("node:fs");
  const h = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
  const scrub = (o) => {
    if (Array.isArray(o)) return o.forEach(scrub);
    if (!o || typeof o !== "object") return;
    for (const [k, v] of Object.entries(o)) {
      if (k === "identity" && typeof v === "string") o[k] = v.replace(/@.*$/, "@host");
      else scrub(v);
    }
  };
  scrub(h);
  fs.writeFileSync(process.argv[1], JSON.stringify(h, null, 2) + "\n");
' "$tmp"
mv "$tmp" "$out"
trap - EXIT
printf '%s: %s (%s events)\n' "$out" "${status#WORKFLOW_EXECUTION_STATUS_}" \
  "$(node -e 'console.log(require(process.argv[1]).events.length)' "$out")"
