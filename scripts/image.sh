#!/usr/bin/env bash
# Builds hubmesh's container image from the Dockerfile with buildah: daemonless, as root, with vfs
# storage and chroot isolation, so it works where no container engine or registry is reachable.
#
#   bash scripts/image.sh            build (layers cached), export an OCI archive, print a summary
#   IMAGE_BASE=node:24.21.0-bookworm-slim bash scripts/image.sh   build on a pulled official base
#
# Without IMAGE_BASE the base is made here, once, and cached: Debian bookworm (mmdebstrap, minbase,
# with the docs, man pages and locales that debian:bookworm-slim drops left out) plus the Node binary
# from the npm package node-linux-<arch> at the version package.json pins, npm at the version that
# Node release ships, and the `node` user (1000:1000), laid out as the official node image is.
#
# The image is tagged $IMAGE_REF and exported to $IMAGE_ARCHIVE (OCI archive: `docker load` and
# `podman load` take it). Buildah's storage lives in $IMAGE_STORAGE.
set -euo pipefail
cd "$(dirname "$0")/.."

cache=${HUBMESH_CACHE:-$HOME/.cache/hubmesh}/image
IMAGE_STORAGE=${IMAGE_STORAGE:-$cache/storage}
IMAGE_REF=${IMAGE_REF:-localhost/hubmesh:local}
IMAGE_ARCHIVE=${IMAGE_ARCHIVE:-dist/hubmesh-image.oci.tar}
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
# npm inside the build trusts what this machine trusts (a registry mirror may have a private CA);
# it is passed as a build secret, so it is in no layer
IMAGE_NPM_CA=${IMAGE_NPM_CA:-/etc/ssl/certs/ca-certificates.crt}
# the npm that Node 24.21.0 bundles (its CHANGELOG: "upgrade npm to 11.19.0")
NPM_VERSION=${NPM_VERSION:-11.19.0}
NODE_VERSION=$(sed -n 's/^ *"node": *"\([0-9][0-9.]*\)",\{0,1\}$/\1/p' package.json)
[ -n "$NODE_VERSION" ] || { echo "image.sh: package.json pins no exact node version in devDependencies" >&2; exit 1; }

[ "$(id -u)" = 0 ] || { echo "image.sh: run as root (buildah with vfs storage and chroot isolation)" >&2; exit 1; }
for tool in buildah mmdebstrap; do
  command -v "$tool" >/dev/null || { echo "image.sh: $tool is missing (bash scripts/system-deps.sh installs it)" >&2; exit 1; }
done

bh() { buildah --root "$IMAGE_STORAGE" --runroot "${IMAGE_RUNROOT:-/run/hubmesh-buildah}" --storage-driver vfs "$@"; }
image_exists() { bh inspect --type image "$1" >/dev/null 2>&1; }

case $(uname -m) in
  x86_64) arch=x64 oci_arch=amd64 ;;
  aarch64) arch=arm64 oci_arch=arm64 ;;
  *) echo "image.sh: no node-linux package for $(uname -m)" >&2; exit 1 ;;
esac

# The local base, keyed on everything that goes into it.
make_base() {
  local ref=$1 work
  work=$(mktemp -d "${TMPDIR:-/tmp}/hubmesh-base.XXXXXX")
  echo "image.sh: making $ref (first time only: Debian bookworm minbase, Node $NODE_VERSION, npm $NPM_VERSION) ..." >&2
  (cd "$work" && npm pack --silent "node-linux-$arch@$NODE_VERSION" "npm@$NPM_VERSION" >/dev/null)
  mkdir "$work/node" && tar -xzf "$work"/node-linux-$arch-*.tgz -C "$work/node" --strip-components=1 package/bin/node
  # debian:bookworm-slim's exclusions (debuerreotype's slimify)
  local slim=()
  for p in '/usr/share/doc/*' '/usr/share/groff/*' '/usr/share/info/*' '/usr/share/linda/*' \
           '/usr/share/lintian/overrides/*' '/usr/share/locale/*' '/usr/share/man/*'; do
    slim+=("--dpkgopt=path-exclude=$p")
  done
  slim+=('--dpkgopt=path-include=/usr/share/doc/*/copyright' '--dpkgopt=path-include=/usr/share/locale/locale.alias')
  # the hooks' "$1" is the new root, which mmdebstrap passes them
  # shellcheck disable=SC2016
  # merged /usr by mmdebstrap's own hook, not the usrmerge package (which would leave perl behind)
  mmdebstrap --quiet --variant=minbase --mode=root --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr "${slim[@]}" \
    --customize-hook='chroot "$1" groupadd --gid 1000 node' \
    --customize-hook='chroot "$1" useradd --uid 1000 --gid node --shell /bin/bash --create-home node' \
    --customize-hook="install -m 0755 '$work/node/bin/node' \"\$1/usr/local/bin/node\"" \
    --customize-hook="mkdir -p \"\$1/usr/local/lib/node_modules/npm\" && tar -xzf '$work/npm-$NPM_VERSION.tgz' -C \"\$1/usr/local/lib/node_modules/npm\" --strip-components=1" \
    --customize-hook='ln -s ../lib/node_modules/npm/bin/npm-cli.js "$1/usr/local/bin/npm" && ln -s ../lib/node_modules/npm/bin/npx-cli.js "$1/usr/local/bin/npx"' \
    --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/* "$1"/var/log/*.log "$1"/var/log/apt/*' \
    bookworm "$work/rootfs.tar" "$DEBIAN_MIRROR"
  local ctr
  ctr=$(bh from scratch)
  bh add --quiet "$ctr" "$work/rootfs.tar" / >/dev/null
  bh config --env "NODE_VERSION=$NODE_VERSION" --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --cmd node --os linux --arch "$oci_arch" "$ctr"
  bh commit --quiet --rm "$ctr" "$ref" >/dev/null
  rm -rf "$work"
}

# vfs stores every layer as a full copy (a build stage step is ~1.4 GB), so layers of earlier builds
# that this build no longer uses are removed; the ones it used stay as the next build's cache.
prune_stale_layers() {
  local kept id
  kept=$(sed -nE 's/^--> (Using cache )?([0-9a-f]{11,64})$/\2/p' "$log" | cut -c1-11 | sort -u)
  bh images --all --no-trunc --noheading --format '{{.ID}} {{.Name}}' | while read -r id name; do
    id=${id#sha256:}
    [ "$name" = '<none>' ] || continue
    # removing an image also removes its parents that nothing else uses, so one may be gone already;
    # one a working container still uses (a build or run killed midway) is kept
    grep -qx "${id:0:11}" <<<"$kept" || ! image_exists "$id" || bh rmi "$id" >/dev/null 2>&1 ||
      echo "image.sh: kept layer ${id:0:12}: a working container uses it (buildah containers --all)" >&2
  done
}

base=${IMAGE_BASE:-}
if [ -z "$base" ]; then
  key=$( (echo "$NODE_VERSION $NPM_VERSION $arch $DEBIAN_MIRROR"; declare -f make_base) | sha256sum | cut -c1-12)
  base=localhost/hubmesh-node-base:$NODE_VERSION-bookworm-slim-$key
  image_exists "$base" || make_base "$base"
fi

started=$SECONDS
log=$cache/build.log
mkdir -p "$cache" "$(dirname "$IMAGE_ARCHIVE")"
echo "image.sh: building $IMAGE_REF on $base ..." >&2
secret=()
[ -f "$IMAGE_NPM_CA" ] && secret=(--secret "id=npm-ca,src=$IMAGE_NPM_CA")
if ! bh build --isolation chroot --layers --pull=never --build-arg "NODE_IMAGE=$base" "${secret[@]}" \
    -f Dockerfile -t "$IMAGE_REF" . >"$log" 2>&1; then
  echo "image.sh: the build FAILED; last lines of $log:" >&2
  tail -n 60 "$log" >&2
  exit 1
fi
built=$((SECONDS - started))
prune_stale_layers
rm -f "$IMAGE_ARCHIVE"
bh push --quiet "$IMAGE_REF" "oci-archive:$IMAGE_ARCHIVE:${IMAGE_REF#*/}" >/dev/null
id=$(bh inspect --type image --format '{{.FromImageID}}' "$IMAGE_REF")
size=$(bh images --noheading --format '{{.Size}}' "$IMAGE_REF" | head -n1)
layers=$(bh inspect --type image --format '{{len .OCIv1.RootFS.DiffIDs}}' "$IMAGE_REF")
echo "image.sh: $IMAGE_REF sha256:$id, $size, $layers layers, built in ${built}s, exported to $IMAGE_ARCHIVE" >&2
