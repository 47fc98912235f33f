#!/usr/bin/env bash
# Runs the fault matrix's dockerd cells (or any cells) where killing the Docker engine hurts no one:
# in a private network and mount namespace, with a Docker engine, a platform and ports of their own.
#
#   bench/faults/isolated.sh                 # the dockerd cells: --only dockerd
#   bench/faults/isolated.sh --cell deploy/dockerd/switched
#
# The platform inside starts and owns its own dockerd (data in /var/lib/roro-faults-docker, removed
# afterwards), so the supervisor restarts it after each kill -9, as it would on a host where roro owns
# the engine. The runtime images are copied from the host's engine when it has them (else built).
# Needs root, iproute2 and iptables; the namespace, its veth pair and its NAT rules are removed at exit.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
NS=roro-faults
VETH=rorofaults0
NET=10.231.0
WORK=${RORO_FAULTS_WORK:-/tmp/roro-faults}
DATA=/var/lib/roro-faults-docker
HOST_SOCK=${DOCKER_SOCKET:-/var/run/docker.sock}
[ $# -gt 0 ] || set -- --only dockerd

if [ "${1:-}" != "--inside" ]; then
  [ "$(id -u)" = 0 ] || { echo "isolated.sh needs root (network namespaces, a Docker engine)." >&2; exit 2; }
  if ip netns list | grep -qw "$NS"; then
    echo "Network namespace $NS exists: another isolated run is going on, or one was killed; remove it with 'ip netns del $NS'." >&2
    exit 2
  fi
  (cd "$REPO" && npx tsc -p tsconfig.json)
  cleanup() {
    set +e
    iptables -D DOCKER-USER -i "$VETH" -j ACCEPT 2>/dev/null
    iptables -D DOCKER-USER -o "$VETH" -j ACCEPT 2>/dev/null
    iptables -t nat -D POSTROUTING -s "$NET.0/30" ! -o "$VETH" -j MASQUERADE 2>/dev/null
    ip link del "$VETH" 2>/dev/null
    ip netns del "$NS" 2>/dev/null
    rm -rf "$DATA"
  }
  trap cleanup EXIT
  ip netns add "$NS"
  ip link add "$VETH" type veth peer name eth0 netns "$NS"
  ip addr add "$NET.1/30" dev "$VETH"
  ip link set "$VETH" up
  ip -n "$NS" addr add "$NET.2/30" dev eth0
  ip -n "$NS" link set eth0 up
  ip -n "$NS" link set lo up
  ip -n "$NS" route add default via "$NET.1"
  # Builds inside reach package indexes through the host; the host's Docker drops forwarded traffic
  # unless DOCKER-USER lets it through.
  sysctl -qw net.ipv4.ip_forward=1
  iptables -t nat -A POSTROUTING -s "$NET.0/30" ! -o "$VETH" -j MASQUERADE
  if iptables -n -L DOCKER-USER >/dev/null 2>&1; then
    iptables -I DOCKER-USER -i "$VETH" -j ACCEPT
    iptables -I DOCKER-USER -o "$VETH" -j ACCEPT
  fi
  mkdir -p "$WORK/etc-docker"
  # Subnets of its own, so nothing it makes can take an address range the host's engine uses.
  cat > "$WORK/etc-docker/daemon.json" <<JSON
{"data-root": "$DATA", "exec-root": "/run/roro-faults-docker", "bip": "10.232.0.1/24",
 "default-address-pools": [{"base": "10.233.0.0/16", "size": 24}]}
JSON
  # nsenter, not `ip netns exec`: that one remounts /sys, hiding the cgroup mounts dockerd needs.
  nsenter --net=/run/netns/"$NS" unshare --mount --propagation private "$0" --inside "$@"
  exit $?
fi

shift
# This mount namespace alone sees the engine's config: the host's engine keeps its own.
mkdir -p /etc/docker
mount --bind "$WORK/etc-docker" /etc/docker
export RORO_HOME=$WORK/home DOCKER_SOCKET=/run/roro-faults-docker.sock
export RORO_ADMIN_EMAIL=admin@roro.test RORO_ADMIN_PASSWORD=faults-${RANDOM}${RANDOM}-Pass
unset RORO_PORT_BASE RORO_URL TEMPORAL_ADDRESS RORO_TOKEN
rm -rf "$RORO_HOME"
cd "$REPO"
trap 'bin/roro server down >/dev/null 2>&1 || true' EXIT
# Its canary route is down until the images below are in the new engine: up may exit 1 for that.
bin/roro server up > "$WORK/server.log" 2>&1 || true
if ! [ -S "$DOCKER_SOCKET" ]; then
  echo "The platform did not start: see $WORK/server.log and $RORO_HOME/logs/." >&2
  tail -20 "$WORK/server.log" >&2
  exit 1
fi
if [ -S "$HOST_SOCK" ]; then
  # The newest base and runtime images of the host's engine: building them takes minutes.
  images=$(docker -H "unix://$HOST_SOCK" images --format '{{.CreatedAt}} {{.Repository}}:{{.Tag}}' |
    awk '$NF ~ /^roro\/(base|runtime-python3):/' | sort -r | awk '{print $NF}' |
    awk -F: '!seen[$1]++ || /base:/' || true)
  [ -z "$images" ] || docker -H "unix://$HOST_SOCK" save $images | docker -H "unix://$DOCKER_SOCKET" load -q
fi
for i in $(seq 1 300); do
  bin/roro server status > "$WORK/status.log" 2>&1 && break
  [ "$i" -lt 300 ] || { echo "The platform is not all up: see $WORK/status.log." >&2; exit 1; }
  sleep 1
done
node dist/bench/faults/run.js "$@"
