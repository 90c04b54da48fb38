#!/usr/bin/env bash
# Builds helm from its Go module, caches it under ~/.cache/hubmesh/helm/<version>/, and prints the binary's path.
# A cached binary is reused; a failed build exits non-zero with the tail of its log.
set -euo pipefail
HELM_VERSION=${HELM_VERSION:-v3.22.0}
source "$(dirname "$0")/go-tool.sh"
# helm reads its version from ldflags; without them `helm version` reports v3 with no patch level
go_tool helm "$HELM_VERSION" helm.sh/helm/v3/cmd/helm \
  "-X helm.sh/helm/v3/internal/version.version=$HELM_VERSION -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
