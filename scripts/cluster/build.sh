#!/usr/bin/env bash
# Builds the test control plane from Go modules and caches it by version under ~/.cache/hubmesh:
#   kube-apiserver, kube-scheduler, kube-controller-manager, kubectl  (k8s.io/kubernetes, through a wrapper module)
#   etcd                                                      (go.etcd.io/etcd/server/v3, through a wrapper module)
#   kwok and its stage YAMLs                                  (sigs.k8s.io/kwok)
#   Istio's CRDs                                              (istio.io/api)
#   Gateway API's standard-channel CRDs                       (sigs.k8s.io/gateway-api)
# A part already in the cache is not rebuilt. Any failure exits non-zero with the build log's tail.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/versions.sh"

export GOFLAGS=-mod=mod CGO_ENABLED=0 GOTOOLCHAIN=${GOTOOLCHAIN:-local}
command -v go >/dev/null || PATH=$PATH:/usr/local/go/bin
command -v go >/dev/null || { echo "build: go is not on PATH; install Go >= 1.25" >&2; exit 1; }

log_dir=$HUBMESH_CACHE/build-logs
mkdir -p "$log_dir"

run_logged() { # name, command...
  local name=$1; shift
  local log=$log_dir/$name.log
  local start=$SECONDS
  echo "build: $name ..." >&2
  if ! "$@" >"$log" 2>&1; then
    echo "build: $name FAILED; last lines of $log:" >&2
    tail -n 40 "$log" >&2
    exit 1
  fi
  echo "build: $name done in $((SECONDS - start))s" >&2
}

module_dir() { go mod download -json "$1" | jq -er .Dir; }

build_kubernetes() {
  local bins=(kube-apiserver kube-scheduler kube-controller-manager kubectl) missing=()
  for b in "${bins[@]}"; do [ -x "$K8S_BIN_DIR/$b" ] || missing+=("$b"); done
  [ ${#missing[@]} -gt 0 ] || { echo "build: kubernetes $K8S_VERSION cached" >&2; return; }

  local src work minor staging_version
  src=$(module_dir "k8s.io/kubernetes@$K8S_VERSION")
  minor=$(echo "$K8S_VERSION" | cut -d. -f2)
  staging_version=v0.${K8S_VERSION#v1.}
  work=$HUBMESH_CACHE/build/kubernetes-$K8S_VERSION
  rm -rf "$work" && mkdir -p "$work"
  {
    echo "module hubmesh.local/kubernetes-build"
    grep -E '^go [0-9]' "$src/go.mod"
    grep -E '^godebug ' "$src/go.mod" || true
    echo "require k8s.io/kubernetes $K8S_VERSION"
    echo "replace ("
    # every staging module kubernetes points at ./staging becomes the published module of the same release
    grep -E '^\s*k8s.io/[^ ]+ => ./staging/' "$src/go.mod" | awk -v v="$staging_version" '{print "\t" $1 " => " $1 " " v}'
    echo ")"
  } >"$work/go.mod"
  local pkgs=() ldflags="-s -w"
  for b in "${missing[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$b"); done
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $p.gitVersion=$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
  done
  (cd "$work" && run_logged kubernetes-resolve go get "k8s.io/kubernetes@$K8S_VERSION")
  rm -rf "$K8S_BIN_DIR.tmp" && mkdir -p "$K8S_BIN_DIR.tmp" "$K8S_BIN_DIR"
  (cd "$work" && run_logged kubernetes-compile go build -trimpath -ldflags "$ldflags" -o "$K8S_BIN_DIR.tmp/" "${pkgs[@]}")
  mv "$K8S_BIN_DIR.tmp"/* "$K8S_BIN_DIR/" && rmdir "$K8S_BIN_DIR.tmp"
}

build_etcd() {
  [ -x "$ETCD_BIN_DIR/etcd" ] && { echo "build: etcd $ETCD_VERSION cached" >&2; return; }
  local work=$HUBMESH_CACHE/build/etcd-$ETCD_VERSION
  rm -rf "$work" && mkdir -p "$work"
  printf 'module hubmesh.local/etcd-build\n\ngo 1.25.0\n' >"$work/go.mod"
  (cd "$work" && run_logged etcd-resolve go get -tool "go.etcd.io/etcd/server/v3@$ETCD_VERSION")
  mkdir -p "$ETCD_BIN_DIR.tmp"
  (cd "$work" && run_logged etcd-compile go build -trimpath -ldflags "-s -w" -o "$ETCD_BIN_DIR.tmp/etcd" go.etcd.io/etcd/server/v3)
  rm -rf "$ETCD_BIN_DIR" && mv "$ETCD_BIN_DIR.tmp" "$ETCD_BIN_DIR"
}

build_kwok() {
  [ -x "$KWOK_DIR/kwok" ] && [ -d "$KWOK_DIR/stage" ] && { echo "build: kwok $KWOK_VERSION cached" >&2; return; }
  mkdir -p "$KWOK_DIR.tmp"
  GOBIN="$KWOK_DIR.tmp" run_logged kwok-compile go install -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
  local src
  src=$(module_dir "sigs.k8s.io/kwok@$KWOK_VERSION")
  cp -r "$src/kustomize/stage" "$KWOK_DIR.tmp/stage"
  chmod -R u+w "$KWOK_DIR.tmp/stage"
  rm -rf "$KWOK_DIR" && mv "$KWOK_DIR.tmp" "$KWOK_DIR"
}

fetch_istio_crds() {
  [ -s "$ISTIO_CRD_FILE" ] && { echo "build: istio CRDs $ISTIO_API_VERSION cached" >&2; return; }
  local src
  src=$(module_dir "istio.io/api@$ISTIO_API_VERSION")
  mkdir -p "$(dirname "$ISTIO_CRD_FILE")"
  cp "$src/kubernetes/customresourcedefinitions.gen.yaml" "$ISTIO_CRD_FILE"
  chmod u+w "$ISTIO_CRD_FILE"
}

# The CRDs of config/crd/standard/, one multi-document file; the channel's ValidatingAdmissionPolicy
# (safe-upgrades, which only refuses experimental or older Gateway API CRDs) is left out.
fetch_gateway_api_crds() {
  [ -s "$GATEWAY_API_CRD_FILE" ] && { echo "build: gateway-api CRDs $GATEWAY_API_VERSION cached" >&2; return; }
  local src f tmp=$GATEWAY_API_CRD_FILE.tmp
  src=$(module_dir "sigs.k8s.io/gateway-api@$GATEWAY_API_VERSION")
  mkdir -p "$(dirname "$GATEWAY_API_CRD_FILE")"
  : >"$tmp"
  for f in "$src"/config/crd/standard/*.yaml; do
    grep -q '^kind: CustomResourceDefinition$' "$f" || continue
    { echo "---"; cat "$f"; } >>"$tmp"
  done
  grep -q '^kind: CustomResourceDefinition$' "$tmp" || { echo "build: no CRDs in $src/config/crd/standard" >&2; exit 1; }
  mv "$tmp" "$GATEWAY_API_CRD_FILE"
}

fetch_istio_crds
fetch_gateway_api_crds
build_kwok
build_etcd
build_kubernetes
echo "build: all parts ready under $HUBMESH_CACHE" >&2
