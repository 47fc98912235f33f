#!/bin/sh
# A Docker engine of its own, for tests that must not touch the host's engine (Swarm mode, a second
# node). It runs in its own network namespace, so its bridges, its iptables rules and any
# docker_gwbridge stay there, with its own socket, data root, exec root and subnets. The host
# reaches it at NODE_IP over a veth pair; its published ports are at NODE_IP:<port>.
#
#   scripts/second-engine.sh up DIR INDEX    start it (INDEX 1-200 picks its addresses); prints
#                                            DOCKER_HOST=unix://DIR/docker.sock and NODE_IP=10.254.INDEX.2
#   scripts/second-engine.sh down DIR        stop it and remove everything it made, DIR included
#   scripts/second-engine.sh load DIR IMAGE  copy an image from the host's engine (read only there)
#   scripts/second-engine.sh link DIR OTHER  a direct link between two engines' namespaces, so each
#                                            reaches the other's NODE_IP (Swarm between them)
#   scripts/second-engine.sh crash DIR       SIGKILL to its containers and to the engine itself, as a
#                                            host that loses power (its address stays, answering nothing)
#
# Needs root, iproute2 and Debian's docker.io (dockerd 20.10).
set -eu

die() {
  echo "second-engine: $*" >&2
  exit 1
}

[ $# -ge 2 ] || die "usage: $0 up DIR INDEX | down DIR | load DIR IMAGE | link DIR OTHER | crash DIR"
action=$1
dir=$(realpath -m "$2")
state="$dir/engine.env"

up() {
  index=$1
  case $index in '' | *[!0-9]*) die "INDEX must be a number from 1 to 200, not '$index'." ;; esac
  [ "$index" -ge 1 ] && [ "$index" -le 200 ] || die "INDEX must be a number from 1 to 200, not $index."
  [ ! -e "$state" ] || die "$dir already holds an engine: run '$0 down $dir' first."
  netns="roro-engine-$index"
  ! ip netns list | grep -qw "$netns" || die "network namespace $netns exists: another engine uses INDEX $index; choose another."
  mkdir -p "$dir/data" "$dir/exec"
  host_if="roroeng${index}h"
  node_if="roroeng${index}n"
  printf 'NETNS=%s\nHOST_IF=%s\nNODE_IP=10.254.%s.2\n' "$netns" "$host_if" "$index" >"$state"
  ip netns add "$netns"
  ip link add "$host_if" type veth peer name "$node_if"
  ip link set "$node_if" netns "$netns"
  ip addr add "10.254.$index.1/24" dev "$host_if"
  ip link set "$host_if" up
  ip -n "$netns" link set lo up
  ip -n "$netns" addr add "10.254.$index.2/24" dev "$node_if"
  ip -n "$netns" link set "$node_if" up
  ip -n "$netns" route add default via "10.254.$index.1"
  # Its own subnets: the bridge, and the pool for the networks it makes (docker_gwbridge included).
  # nsenter, not `ip netns exec`: that remounts /sys, hiding the cgroup v1 mounts dockerd needs.
  nsenter --net="/run/netns/$netns" setsid dockerd \
    --host "unix://$dir/docker.sock" \
    --data-root "$dir/data" \
    --exec-root "$dir/exec" \
    --pidfile "$dir/docker.pid" \
    --bip "10.250.$index.1/24" \
    --default-address-pool "base=10.251.0.0/16,size=24" \
    >"$dir/dockerd.log" 2>&1 </dev/null &
  tries=0
  until DOCKER_HOST="unix://$dir/docker.sock" docker version >/dev/null 2>&1; do
    tries=$((tries + 1))
    [ $tries -lt 120 ] || die "the engine did not answer within 60 s; see $dir/dockerd.log."
    sleep 0.5
  done
  echo "DOCKER_HOST=unix://$dir/docker.sock"
  echo "NODE_IP=10.254.$index.2"
}

down() {
  [ -e "$state" ] || {
    rm -rf "$dir"
    return 0
  }
  # shellcheck disable=SC1090
  . "$state"
  if [ -S "$dir/docker.sock" ] && DOCKER_HOST="unix://$dir/docker.sock" docker version >/dev/null 2>&1; then
    export DOCKER_HOST="unix://$dir/docker.sock"
    docker swarm leave --force >/dev/null 2>&1 || true
    ids=$(docker ps -aq)
    [ -z "$ids" ] || docker rm -f $ids >/dev/null 2>&1 || true
    unset DOCKER_HOST
  fi
  if [ -f "$dir/docker.pid" ]; then
    pid=$(cat "$dir/docker.pid")
    kill "$pid" 2>/dev/null || true
    i=0
    while kill -0 "$pid" 2>/dev/null && [ $i -lt 60 ]; do
      sleep 0.5
      i=$((i + 1))
    done
  fi
  # Whatever still runs in the engine's namespace (containerd, shims) is the engine's own.
  if ip netns list | grep -qw "$NETNS"; then
    for pid in $(ip netns pids "$NETNS"); do kill -9 "$pid" 2>/dev/null || true; done
    ip netns del "$NETNS"
  fi
  ip link del "$HOST_IF" 2>/dev/null || true
  # Mounts it left (overlay layers, netns files) go before the directory does.
  grep -o " $dir/[^ ]*" /proc/self/mounts | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
  rm -rf "$dir"
}

crash() {
  [ -e "$state" ] || die "no engine in $dir: run '$0 up $dir INDEX' first."
  # shellcheck disable=SC1090
  . "$state"
  export DOCKER_HOST="unix://$dir/docker.sock"
  # A container's first process holds its PID namespace: killing it ends every process inside.
  pids=$(docker ps -q | xargs -r docker inspect -f '{{.State.Pid}}')
  unset DOCKER_HOST
  for pid in $pids $(ip netns pids "$NETNS"); do kill -9 "$pid" 2>/dev/null || true; done
  echo "crashed the engine in $dir"
}

load() {
  [ -e "$state" ] || die "no engine in $dir: run '$0 up $dir INDEX' first."
  env -u DOCKER_HOST docker save "$1" | DOCKER_HOST="unix://$dir/docker.sock" docker load >/dev/null
  echo "loaded $1"
}

# A veth pair straight from one namespace to the other, with a route to each NODE_IP: the host's
# own forwarding and firewall are not involved. It goes away with either namespace.
link() {
  other=$(realpath -m "$1")
  [ -e "$state" ] && [ -e "$other/engine.env" ] || die "both $dir and $other must hold an engine."
  a_ns=$(sed -n 's/^NETNS=//p' "$state")
  a_ip=$(sed -n 's/^NODE_IP=//p' "$state")
  b_ns=$(sed -n 's/^NETNS=//p' "$other/engine.env")
  b_ip=$(sed -n 's/^NODE_IP=//p' "$other/engine.env")
  a_if="rorolk${a_ns#roro-engine-}x${b_ns#roro-engine-}"
  b_if="${a_if}p"
  ip link add "$a_if" netns "$a_ns" type veth peer name "$b_if" netns "$b_ns"
  ip -n "$a_ns" link set "$a_if" up
  ip -n "$b_ns" link set "$b_if" up
  ip -n "$a_ns" route add "$b_ip/32" dev "$a_if"
  ip -n "$b_ns" route add "$a_ip/32" dev "$b_if"
  echo "linked $a_ip <-> $b_ip"
}

case $action in
up) up "${3:-}" ;;
down) down ;;
load) load "${3:?IMAGE}" ;;
link) link "${3:?OTHER}" ;;
crash) crash ;;
*) die "unknown action '$action': use up, down, load, link or crash." ;;
esac
