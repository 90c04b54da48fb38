#!/usr/bin/env bash
# Builds helm from its Go module, caches it under ~/.cache/hubmesh/helm/<version>/, and prints the binary's path.
# A cached binary is reused; a failed build exits non-zero with the tail of its log.
set -euo pipefail
HELM_VERSION=${HELM_VERSION:-v3.22.0}
cache=${HUBMESH_CACHE:-$HOME/.cache/hubmesh}/helm/$HELM_VERSION
bin=$cache/helm

if [ ! -x "$bin" ]; then
  command -v go >/dev/null || PATH=$PATH:/usr/local/go/bin
  command -v go >/dev/null || { echo "helm.sh: go is not on PATH; install Go >= 1.25" >&2; exit 1; }
  mkdir -p "$cache"
  log=$cache/build.log
  # helm reads its version from ldflags; without them `helm version` reports v3 with no patch level
  ldflags="-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
  echo "helm.sh: building helm $HELM_VERSION (first time only; takes a few minutes) ..." >&2
  if ! GOBIN="$cache.tmp" CGO_ENABLED=0 GOFLAGS=-mod=mod GOTOOLCHAIN=${GOTOOLCHAIN:-local} \
      go install -trimpath -ldflags "$ldflags" "helm.sh/helm/v3/cmd/helm@$HELM_VERSION" >"$log" 2>&1; then
    echo "helm.sh: building helm $HELM_VERSION FAILED; last lines of $log:" >&2
    tail -n 40 "$log" >&2
    rm -rf "$cache.tmp"
    exit 1
  fi
  mv "$cache.tmp/helm" "$bin" && rmdir "$cache.tmp"
fi
echo "$bin"
