#!/usr/bin/env bash
# Stops exactly the processes cluster:up started (by pid file, checked against the binary) and
# removes the cluster's etcd data, so the next cluster:up starts clean.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

for ((i = ${#COMPONENTS[@]} - 1; i >= 0; i--)); do
  name=${COMPONENTS[i]}
  pid=$(running_pid "$name")
  if [ -n "$pid" ]; then
    kill "$pid"
    for _ in $(seq 50); do [ -d "/proc/$pid" ] || break; sleep 0.1; done
    [ -d "/proc/$pid" ] && kill -9 "$pid"
    echo "cluster:down: stopped $name ($pid)" >&2
  fi
  rm -f "$PID_DIR/$name.pid"
done
rm -rf "$ETCD_DATA_DIR"
