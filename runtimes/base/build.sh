#!/usr/bin/env bash
# Builds the base image roro/base:bookworm from Debian packages, without any registry:
# debootstrap a minimal root filesystem, then `docker import` it.
# Idempotent: the image carries the hash of this script as label roro.recipe; when an image with
# the same hash exists nothing is done. Runs as root (debootstrap needs it).
#
# Environment: RORO_DEBIAN_MIRROR (default http://deb.debian.org/debian), RORO_BASE_IMAGE
# (default roro/base:bookworm), DOCKER_HOST as usual for the docker CLI.
set -euo pipefail

IMAGE="${RORO_BASE_IMAGE:-roro/base:bookworm}"
MIRROR="${RORO_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
SUITE=bookworm
# tini runs as entrypoint with -s (subreaper) so it also works under docker's own --init.
PACKAGES=python3,python3-venv,python3-dev,ca-certificates,tini,build-essential
SELF="$(readlink -f "${BASH_SOURCE[0]}")"
# The host's CA bundle is trusted inside images too: where outbound TLS goes through an
# intercepting proxy, pip inside `docker build` needs the same roots as pip on the host.
HOST_CA="${RORO_HOST_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}"
[[ -f "$HOST_CA" ]] || HOST_CA=/dev/null
# roro's own CA, which `roro server trust` adds to the host's store, is left out: images have no
# use for it, and trusting or untrusting it must not change the recipe (and rebuild every image).
TRUST_DIR="${RORO_TRUST_SYSTEM_DIR:-/usr/local/share/ca-certificates}"
ROOTS="$(mktemp /tmp/roro-base-roots.XXXXXX)"
trap 'rm -f "$ROOTS"' EXIT
shopt -s nullglob
OWN_CAS=("$TRUST_DIR"/roro-*.crt)
shopt -u nullglob
# Certificates of the bundle (last file) whose body is not one of roro's; text between them is dropped.
awk -v own="${#OWN_CAS[@]}" '
  FNR == 1 { file++ }
  /-----BEGIN CERTIFICATE-----/ { inside = 1; body = ""; block = ""; }
  inside {
    block = block $0 "\n"
    if (/-----END CERTIFICATE-----/) {
      inside = 0
      if (file <= own) mine[body] = 1
      else if (!(body in mine)) printf "%s", block
    } else if (!/-----BEGIN/) {
      gsub(/[ \t\r]/, ""); body = body $0
    }
  }
' "${OWN_CAS[@]}" "$HOST_CA" >"$ROOTS"
RECIPE="$(cat "$SELF" "$ROOTS" | sha256sum | cut -c1-16)"
if [[ "${1:-}" == --print-recipe ]]; then
  echo "$RECIPE"
  exit 0
fi

existing="$(docker image inspect --format '{{ index .Config.Labels "roro.recipe" }}' "$IMAGE" 2>/dev/null || true)"
if [[ "$existing" == "$RECIPE" ]]; then
  echo "-----> $IMAGE is up to date (recipe $RECIPE)"
  exit 0
fi
# An image of this recipe was built before (the host's roots changed and changed back): reuse it.
if docker image inspect "roro/base:recipe-$RECIPE" >/dev/null 2>&1; then
  docker tag "roro/base:recipe-$RECIPE" "$IMAGE"
  echo "-----> $IMAGE is roro/base:recipe-$RECIPE again"
  exit 0
fi

if [[ "$(id -u)" != 0 ]]; then
  echo " !     building $IMAGE needs root for debootstrap: run this script with sudo." >&2
  exit 1
fi

WORK="$(mktemp -d /tmp/roro-base.XXXXXX)"
# The root filesystem is 300+ MB: never leave it behind, whatever happens.
trap 'rm -rf --one-file-system "$WORK"; rm -f "$ROOTS"' EXIT
ROOTFS="$WORK/rootfs"

echo "-----> debootstrap $SUITE ($PACKAGES) from $MIRROR"
debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$ROOTFS" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 || {
  tail -n 30 "$WORK/debootstrap.log" >&2
  echo " !     debootstrap failed: check that $MIRROR is reachable (set RORO_DEBIAN_MIRROR to another mirror)." >&2
  exit 1
}

# Slim the image: package lists and caches are of no use inside a container.
rm -rf "$ROOTFS"/var/cache/apt/archives/*.deb "$ROOTFS"/var/lib/apt/lists/* "$ROOTFS"/usr/share/doc/* \
  "$ROOTFS"/usr/share/man/* "$ROOTFS"/usr/share/locale/*
if [[ -s "$ROOTS" ]]; then
  cp "$ROOTS" "$ROOTFS/usr/local/share/ca-certificates/roro-host.crt"
  chroot "$ROOTFS" update-ca-certificates >/dev/null 2>&1
fi
cat >"$ROOTFS/etc/apt/sources.list" <<EOF
deb $MIRROR $SUITE main
deb $MIRROR $SUITE-updates main
EOF

echo "-----> docker import $IMAGE"
tar --numeric-owner -C "$ROOTFS" -c . | docker import \
  --change "LABEL roro.managed=true" \
  --change "LABEL roro.recipe=$RECIPE" \
  --change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
  --change "ENV LANG=C.UTF-8" \
  --change "ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt" \
  --change "ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt" \
  --change "ENV REQUESTS_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt" \
  --change 'ENTRYPOINT ["/usr/bin/tini", "-s", "--"]' \
  --change 'CMD ["/bin/bash"]' \
  - "$IMAGE" >/dev/null
docker tag "$IMAGE" "roro/base:recipe-$RECIPE"
echo "-----> built $IMAGE (recipe $RECIPE)"
