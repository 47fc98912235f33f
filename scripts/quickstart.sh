#!/usr/bin/env bash
# The README's first command, on a fresh Debian 12 machine as root: installs and starts the embedded
# roro platform, signs in as its admin, deploys examples/credit-risk and prints the service's URL
# and a real prediction from it. Idempotent: a second run redeploys and predicts again.
#
# Settings (all optional): RORO_HOME (default /var/lib/roro), RORO_PORT_BASE (default 7400),
# RORO_ADMIN_EMAIL (default admin@roro.local), RORO_ADMIN_PASSWORD (else the generated one in
# $RORO_HOME/secrets/admin-password is used).
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
PROJECT=credit-risk
EXAMPLE="$REPO/examples/$PROJECT"
RORO="$REPO/bin/roro"
SAMPLE='{"age": 35, "income": 52000, "debt": 9000, "late_payments": 1, "years_employed": 4}'

say() { printf -- '-----> %s\n' "$*" >&2; }
die() { printf 'Error: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "the quick start installs packages and runs the platform as root: run it as root (sudo $0)."
[ -f "$EXAMPLE/roro.yml" ] || die "$EXAMPLE/roro.yml is missing: run the quick start from a complete roro checkout."
command -v curl >/dev/null || die "curl is needed to call the deployed service: apt-get install curl."

TMP=$(mktemp -d /tmp/roro-quickstart.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

# 1. Install (Debian packages, temporal, npm dependencies, build) and start the platform.
"$REPO/scripts/setup.sh"
export RORO_HOME=${RORO_HOME:-/var/lib/roro}
"$RORO" server up

# The CLI talks to this platform's API, whatever server a previous `roro login --url` saved.
export RORO_URL="http://127.0.0.1:${RORO_API_PORT:-${RORO_PORT_BASE:-7400}}"
unset RORO_TOKEN

# 2. Sign in as the admin, unless already signed in as them on this server.
email=$(printf '%s' "${RORO_ADMIN_EMAIL:-admin@roro.local}" | tr '[:upper:]' '[:lower:]')
whoami=$("$RORO" whoami --json 2>/dev/null || true)
if printf '%s' "$whoami" | grep -qF "\"email\": \"$email\""; then
  say "Signed in as $email"
else
  password_file="$RORO_HOME/secrets/admin-password"
  if [ -n "${RORO_ADMIN_PASSWORD:-}" ]; then
    password=$RORO_ADMIN_PASSWORD
  elif [ -r "$password_file" ]; then
    password=$(cat "$password_file")
  else
    die "no admin password: set RORO_ADMIN_PASSWORD to the password of $email (the platform was set up with it), then run $0 again."
  fi
  say "Signing in as $email"
  printf '%s\n' "$password" | "$RORO" login --email "$email" --password-stdin \
    || die "could not sign in as $email: set RORO_ADMIN_EMAIL and RORO_ADMIN_PASSWORD to the platform's admin account."
  unset password
fi

# 3. Create the project once; on a later run it is already ours.
projects=$("$RORO" projects --json)
if printf '%s' "$projects" | node -e '
  let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
    process.exit(JSON.parse(s).projects.some((p) => p.name === process.argv[1]) ? 0 : 1);
  });' "$PROJECT"; then
  say "Project $PROJECT exists"
elif "$RORO" create "$PROJECT" 2>"$TMP/create.err"; then
  cat "$TMP/create.err" >&2
else
  cat "$TMP/create.err" >&2
  if grep -q 'taken' "$TMP/create.err"; then
    die "another user owns the project name $PROJECT on this platform: sign in as that user (RORO_ADMIN_EMAIL/RORO_ADMIN_PASSWORD) or delete it there."
  fi
  die "could not create project $PROJECT (see above)."
fi

# 4. Deploy the example; stdout carries the URLs (`  default: <url>`), stderr the progress.
say "Deploying $EXAMPLE"
if ! (cd "$EXAMPLE" && "$RORO" deploy) | tee "$TMP/deploy.out"; then
  die "roro deploy failed (see above); the platform's logs: roro server logs worker."
fi
url=$(sed -n 's/^ *default: \(https\{0,1\}:\/\/[^ ]*\).*$/\1/p' "$TMP/deploy.out" | tail -n 1)
[ -n "$url" ] || die "roro deploy printed no '  default: <url>' line: check the deploy output above."
url="${url%/}/"

# 5. Call the function: POST <service URL>predict with the keyword arguments as a JSON object.
# The gateway listens on this machine only, so the service's host name is pinned to 127.0.0.1.
hostport=${url#*://}
hostport=${hostport%%/*}
host=${hostport%:*}
port=${hostport##*:}
[ "$port" != "$hostport" ] || port=443
ca="$RORO_HOME/tls/ca.crt"
[ -f "$ca" ] || die "the gateway's CA certificate $ca is missing: restart the platform with roro server up."
say "Calling ${url}predict"
status=000
for attempt in $(seq 1 30); do
  status=$(curl -sS --max-time 30 --cacert "$ca" --resolve "$host:$port:127.0.0.1" \
    -o "$TMP/prediction.json" -w '%{http_code}' -X POST "${url}predict" \
    -H 'content-type: application/json' -d "$SAMPLE" 2>"$TMP/curl.err") || status=000
  # 502/503 while the new container finishes starting are retried; anything else is the answer.
  case "$status" in 000 | 502 | 503) [ "$attempt" = 30 ] || sleep 2 ;; *) break ;; esac
done
if [ "$status" != 200 ]; then
  cat "$TMP/curl.err" "$TMP/prediction.json" >&2 2>/dev/null || true
  die "the service answered HTTP $status instead of a prediction: read its log with roro logs, or the gateway's with roro server logs gateway."
fi

printf '\nService URL:  %s\n' "$url"
printf 'Request:      POST %spredict %s\n' "$url" "$SAMPLE"
printf 'Prediction:   %s\n' "$(cat "$TMP/prediction.json")"
printf '\nTry it yourself:\n  curl --cacert %s -X POST %spredict \\\n    -H '"'"'content-type: application/json'"'"' -d '"'"'%s'"'"'\n' "$ca" "$url" "$SAMPLE"
