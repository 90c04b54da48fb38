#!/usr/bin/env bash
# Builds test/istio-oracle (a test tool that judges routing with Istio's own code) and caches
# the binary under $HUBMESH_CACHE/istio-oracle/<key>/istio-oracle, where <key> hashes the Istio
# version, the Go version and the tool's sources (non-test *.go, go.mod, go.sum): an edited tool
# is rebuilt, an unchanged one is reused at once.
# Prints the binary's path as the last line on stdout. Build output goes to
# $HUBMESH_CACHE/build-logs/istio-oracle.log; on failure its tail goes to stderr and the exit
# status is non-zero. Go's build cache (GOCACHE) is left alone, so rebuilding after a small
# change only recompiles the tool itself.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/versions.sh"
ISTIO_VERSION=${ISTIO_VERSION:-v0.0.0-20260827124520-eed52ebb66ad}

export GOFLAGS=-mod=mod CGO_ENABLED=0 GOTOOLCHAIN=${GOTOOLCHAIN:-local}
command -v go >/dev/null || PATH=$PATH:/usr/local/go/bin
command -v go >/dev/null || { echo "build-oracle: go is not on PATH; install Go >= 1.26" >&2; exit 1; }

src=$(cd "$here/../../test/istio-oracle" && pwd)
log_dir=$HUBMESH_CACHE/build-logs
log=$log_dir/istio-oracle.log
mkdir -p "$log_dir"

# The tool must be built against the Istio version the project pins.
required=$(awk '$1 == "istio.io/istio" {print $2} $1 == "require" && $2 == "istio.io/istio" {print $3}' "$src/go.mod" | head -n1)
if [ "$required" != "$ISTIO_VERSION" ]; then
  echo "build-oracle: test/istio-oracle/go.mod requires istio.io/istio ${required:-(nothing)}, but ISTIO_VERSION is $ISTIO_VERSION;" >&2
  echo "build-oracle: run (cd test/istio-oracle && go get istio.io/istio@$ISTIO_VERSION && go mod tidy)" >&2
  exit 1
fi

cache_key() {
  {
    echo "istio=$ISTIO_VERSION"
    echo "go=$(go env GOVERSION) $(go env GOOS)/$(go env GOARCH)"
    local f
    for f in $(cd "$src" && ls go.mod go.sum *.go | grep -v '_test\.go$' | LC_ALL=C sort); do
      echo "file=$f"
      cat "$src/$f"
    done
  } | sha256sum | cut -c1-16
}

key=$(cache_key)
bin=${ORACLE_BIN:-$HUBMESH_CACHE/istio-oracle/$key/istio-oracle}

if [ -x "$bin" ]; then
  echo "build-oracle: istio-oracle $key cached" >&2
  echo "$bin"
  exit 0
fi

mkdir -p "$(dirname "$bin")"
tmp=$bin.tmp.$$
trap 'rm -f "$tmp"' EXIT
echo "build-oracle: building istio-oracle $key (istio $ISTIO_VERSION) ..." >&2
start=$SECONDS
if ! (cd "$src" && go build -trimpath -ldflags "-s -w" -o "$tmp" .) >"$log" 2>&1; then
  echo "build-oracle: istio-oracle build FAILED; last lines of $log:" >&2
  tail -n 40 "$log" >&2
  exit 1
fi
mv -f "$tmp" "$bin"
echo "build-oracle: istio-oracle built in $((SECONDS - start))s" >&2
echo "$bin"
