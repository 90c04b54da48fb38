#!/usr/bin/env bash
# Makes sure the system packages the tests use are present: Debian's Chromium (for Playwright),
# Prometheus and JupyterHub (real parts for integration tests), shellcheck (actionlint runs it on the
# workflows' scripts), buildah, mmdebstrap and podman (the container image: scripts/image.sh builds
# it, test/image.test.ts loads and runs it), and the tools the cluster scripts call. As root with apt-get it installs what
# is missing; otherwise it names what to install.
set -euo pipefail
apt_packages=(chromium prometheus jupyterhub shellcheck jq curl openssl procps buildah mmdebstrap podman util-linux)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "system-deps: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "system-deps: missing Debian packages: ${missing[*]} (sudo apt-get install ${missing[*]})" >&2
    exit 1
  fi
fi
if ! command -v go >/dev/null && [ ! -x /usr/local/go/bin/go ]; then
  echo "system-deps: Go >= 1.25 is needed to build the test control plane (kube-apiserver, etcd, kwok) from Go modules" >&2
  exit 1
fi
