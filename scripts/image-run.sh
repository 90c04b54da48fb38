#!/usr/bin/env bash
# Runs a container image built by scripts/image.sh the way a kubelet runs the chart's pod, without a
# container engine: the image's own rootfs (a buildah working container), its CMD, Env, WorkingDir and
# User, as PID 1 of its own PID and mount namespaces, on a READ-ONLY root with writable tmpfs only where
# asked (the chart's volumeMounts), the host's network, and a ServiceAccount directory at
# /var/run/secrets/kubernetes.io/serviceaccount as a kubelet projects it. (`podman run` cannot run in
# this sandbox: it refuses setrlimit. `buildah run` has no read-only root.)
#
#   bash scripts/image-run.sh [-e NAME=VALUE]... [-w PATH:SIZE]... [-s SA_DIR] [-p PIDFILE] IMAGE
#
# -e adds or overrides an environment variable; -w mounts a tmpfs of SIZE (e.g. 16m) at PATH; -s binds
# SA_DIR (token, ca.crt, namespace) read-only; -p writes the container's PID 1, as the host sees it.
# SIGTERM or SIGINT to this script is passed to the container's PID 1, as `docker stop` does. It exits
# with the container's status, after removing the working container.
set -euo pipefail
cd "$(dirname "$0")/.."
IMAGE_STORAGE=${IMAGE_STORAGE:-${HUBMESH_CACHE:-$HOME/.cache/hubmesh}/image/storage}
bh() { buildah --root "$IMAGE_STORAGE" --runroot "${IMAGE_RUNROOT:-/run/hubmesh-buildah}" --storage-driver vfs "$@"; }

extra_env=() writable=() sa_dir='' pidfile=''
while getopts 'e:w:s:p:' opt; do
  case $opt in
    e) extra_env+=("$OPTARG") ;;
    w) writable+=("$OPTARG") ;;
    s) sa_dir=$OPTARG ;;
    p) pidfile=$OPTARG ;;
    *) exit 2 ;;
  esac
done
shift $((OPTIND - 1))
[ $# = 1 ] || { echo "usage: image-run.sh [-e NAME=VALUE]... [-w PATH:SIZE]... [-s SA_DIR] [-p PIDFILE] IMAGE" >&2; exit 2; }
image=$1
[ "$(id -u)" = 0 ] || { echo "image-run.sh: run as root (mount namespaces)" >&2; exit 1; }

config=$(bh inspect --type image "$image" | jq '.OCIv1.config')
user=$(jq -r '.User // "0:0"' <<<"$config")
[[ $user =~ ^[0-9]+(:[0-9]+)?$ ]] || { echo "image-run.sh: the image's User '$user' is not numeric" >&2; exit 1; }
[[ $user == *:* ]] || user=$user:$user
workdir=$(jq -r '.WorkingDir // "/"' <<<"$config")
mapfile -t image_env < <(jq -r '.Env // [] | .[]' <<<"$config")
mapfile -t command < <(jq -r '(.Entrypoint // []) + (.Cmd // []) | .[]' <<<"$config")
[ ${#command[@]} -gt 0 ] || { echo "image-run.sh: the image has no Entrypoint or Cmd" >&2; exit 1; }

# A run killed before its EXIT trap leaves its working container (a full rootfs copy under vfs);
# containers of runs whose process is gone are removed first.
bh containers --all --noheading --format '{{.ContainerName}}' | sed -n 's/^hubmesh-run-\([0-9]*\)$/\1/p' |
  while read -r pid; do kill -0 "$pid" 2>/dev/null || bh rm "hubmesh-run-$pid" >/dev/null; done
ctr=$(bh from --pull=never --quiet --name "hubmesh-run-$$" "$image")
# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() { bh umount "$ctr" >/dev/null 2>&1 || true; bh rm "$ctr" >/dev/null 2>&1 || true; }
trap cleanup EXIT
rootfs=$(bh mount "$ctr")

# Mount points are made in the working container's own copy, as a runtime makes them; never through a
# symlink, which would point into the host (Debian's /var/run is a link to /run).
mountpoint_in_rootfs() {
  local target=$1 resolved
  resolved=$(chroot "$rootfs" /usr/bin/realpath -m "$target")
  mkdir -p "$rootfs$resolved"
  printf '%s' "$rootfs$resolved"
}
mounts=()
for w in "${writable[@]}"; do
  mounts+=("tmpfs:$(mountpoint_in_rootfs "${w%%:*}"):${w##*:}")
done
[ -z "$sa_dir" ] || mounts+=("sa:$(mountpoint_in_rootfs /var/run/secrets/kubernetes.io/serviceaccount):$sa_dir")

# shellcheck disable=SC2016 # the inner script expands its own arguments
inner='
set -euo pipefail
rootfs=$1 user=$2 workdir=$3; shift 3
mount --bind "$rootfs" "$rootfs"
mount -t proc proc "$rootfs/proc"
mount -t tmpfs -o nosuid,mode=755,size=64k tmpfs "$rootfs/dev"
for d in null zero full random urandom tty; do touch "$rootfs/dev/$d"; mount --bind "/dev/$d" "$rootfs/dev/$d"; done
mkdir "$rootfs/dev/shm" && mount -t tmpfs -o nosuid,nodev,mode=1777,size=64m tmpfs "$rootfs/dev/shm"
ln -s /proc/self/fd "$rootfs/dev/fd"
while [ "$1" != -- ]; do
  IFS=: read -r kind target source <<<"$1"; shift
  case $kind in
    tmpfs) mount -t tmpfs -o "nosuid,nodev,mode=1777,size=$source" tmpfs "$target" ;;
    sa) mount --bind "$source" "$target" && mount -o remount,bind,ro "$target" ;;
  esac
done
shift
mount -o remount,bind,ro "$rootfs"
exec chroot --userspec="$user" --groups="${user#*:}" "$rootfs" /usr/bin/env -i -C "$workdir" "$@"
'
env_args=("${image_env[@]}" "${extra_env[@]}")
unshare --mount --pid --fork --kill-child --propagation private \
  bash -c "$inner" inner "$rootfs" "$user" "$workdir" "${mounts[@]}" -- "${env_args[@]}" "${command[@]}" &
runner=$!
container_pid=''
for _ in $(seq 100); do
  read -r container_pid _ <"/proc/$runner/task/$runner/children" 2>/dev/null || true
  [ -n "$container_pid" ] && break
  sleep 0.05
done
[ -z "$pidfile" ] || printf '%s\n' "$container_pid" >"$pidfile"
trap '[ -z "$container_pid" ] || kill -TERM "$container_pid" 2>/dev/null || true' TERM INT
status=0
while :; do
  wait "$runner" && status=0 || status=$?
  # a trapped signal interrupts wait with a status over 128 while the container still runs
  kill -0 "$runner" 2>/dev/null || break
done
exit "$status"
