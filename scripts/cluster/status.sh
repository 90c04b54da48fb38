#!/usr/bin/env bash
# Shows which control-plane parts run and whether the apiserver is ready. Exits 0 only when all run.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
all=0
for name in "${COMPONENTS[@]}"; do
  pid=$(running_pid "$name")
  if [ -n "$pid" ]; then
    printf '%-24s running (pid %s)\n' "$name" "$pid"
  else
    printf '%-24s stopped\n' "$name"
    all=1
  fi
done
if apiserver_ready; then echo "apiserver                ready at https://127.0.0.1:$APISERVER_PORT"; else echo "apiserver                not ready"; all=1; fi
echo "kubeconfig               $ADMIN_KUBECONFIG (app identity: $APP_KUBECONFIG)"
echo "logs                     $LOG_DIR"
echo "versions                 kubernetes $K8S_VERSION, etcd $ETCD_VERSION, kwok $KWOK_VERSION, istio api $ISTIO_API_VERSION"
exit $all
