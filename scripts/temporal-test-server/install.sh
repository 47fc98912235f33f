#!/usr/bin/env bash
# Installs Temporal's time-skipping test server (Java, from Maven Central, pinned by pom.xml beside
# this script) into .cache/temporal-test-server/ for the workflow tests, with a class-data-sharing
# archive: the SDK gives the server 5 s to answer, and a cold JVM on a busy 2-core machine takes
# longer (4-11 s measured) where the archive makes it about 1 s. Idempotent; run by scripts/setup.sh.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dest="$(cd "$here/../.." && pwd)/.cache/temporal-test-server"
lib="$dest/lib"
stamp=$(cat "$here/pom.xml" "$here/run.sh" | sha256sum | cut -d' ' -f1)-$(java -version 2>&1 | head -1 | tr -dc '0-9.')
if [ "$(cat "$dest/.complete" 2>/dev/null)" = "$stamp" ]; then
  echo "-----> Temporal test server present" >&2
  exit 0
fi
echo "-----> Installing the Temporal test server into $dest" >&2
rm -rf "$dest"
mkdir -p "$dest"
mvn -q -B -Dstyle.color=never -f "$here/pom.xml" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$lib"

# One run records the classes the server loads; run.sh then maps them instead of loading them.
port=$(node -e 'const s=require("node:net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
RORO_TEST_SERVER_ARCHIVE_AT_EXIT=1 "$here/run.sh" "$port" >/dev/null 2>&1 &
pid=$!
for _ in $(seq 1 600); do
  (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  kill -0 "$pid" 2>/dev/null || { echo "Error: the Temporal test server exited at start; see: $here/run.sh $port" >&2; exit 1; }
  sleep 0.1
done
sleep 1
kill -TERM "$pid"
wait "$pid" || true
[ -s "$dest/server.jsa" ] || echo "warning: no class-data archive was written; the test server starts slower" >&2
echo "$stamp" >"$dest/.complete"
