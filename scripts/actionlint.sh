#!/usr/bin/env bash
# Builds actionlint (the GitHub Actions workflow checker) from its Go module, caches it under
# ~/.cache/hubmesh/actionlint/<version>/, and prints the binary's path.
# A cached binary is reused; a failed build exits non-zero with the tail of its log.
set -euo pipefail
ACTIONLINT_VERSION=${ACTIONLINT_VERSION:-v1.7.12}
source "$(dirname "$0")/go-tool.sh"
go_tool actionlint "$ACTIONLINT_VERSION" github.com/rhysd/actionlint/cmd/actionlint
