# Sourced by scripts/helm.sh and scripts/actionlint.sh.
# go_tool NAME VERSION PACKAGE [LDFLAGS]: builds PACKAGE@VERSION from its Go module once, caches the
# binary under ~/.cache/hubmesh/NAME/VERSION/ (HUBMESH_CACHE moves it), and prints its path. A failed
# build exits non-zero with the tail of its log.
go_tool() {
  local name=$1 version=$2 package=$3 ldflags=${4:-}
  local cache=${HUBMESH_CACHE:-$HOME/.cache/hubmesh}/$name/$version
  local bin=$cache/$name
  if [ ! -x "$bin" ]; then
    command -v go >/dev/null || PATH=$PATH:/usr/local/go/bin
    command -v go >/dev/null || { echo "$name.sh: go is not on PATH; install Go >= 1.25" >&2; exit 1; }
    mkdir -p "$cache"
    local log=$cache/build.log
    echo "$name.sh: building $name $version (first time only; can take minutes) ..." >&2
    if ! GOBIN="$cache.tmp" CGO_ENABLED=0 GOFLAGS=-mod=mod GOTOOLCHAIN=${GOTOOLCHAIN:-local} \
        go install -trimpath -ldflags "-s -w $ldflags" "$package@$version" >"$log" 2>&1; then
      echo "$name.sh: building $name $version FAILED; last lines of $log:" >&2
      tail -n 40 "$log" >&2
      rm -rf "$cache.tmp"
      exit 1
    fi
    mv "$cache.tmp/$name" "$bin" && rmdir "$cache.tmp"
  fi
  echo "$bin"
}
