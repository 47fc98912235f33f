#!/bin/sh
# Temporal's time-skipping test server (Java), as @temporalio/testing starts it: `run.sh PORT`.
# install.sh beside this script puts it in .cache/temporal-test-server/ (scripts/setup.sh runs it).
here=$(cd "$(dirname "$0")" && pwd)
dest="$(cd "$here/../.." && pwd)/.cache/temporal-test-server"
if [ ! -d "$dest/lib" ]; then
  echo "Error: the Temporal test server is not installed in $dest. Run scripts/setup.sh." >&2
  exit 1
fi
# A quick start matters more than peak speed for a test server (see install.sh).
opts="-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xss512k"
if [ -n "${RORO_TEST_SERVER_ARCHIVE_AT_EXIT:-}" ]; then
  opts="$opts -XX:ArchiveClassesAtExit=$dest/server.jsa"
elif [ -f "$dest/server.jsa" ]; then
  opts="$opts -XX:SharedArchiveFile=$dest/server.jsa -Xlog:cds=off -Xlog:cds+dynamic=off"
fi
# shellcheck disable=SC2086
exec java $opts -cp "$dest/lib/*" io.temporal.testserver.TestServer "$@"
