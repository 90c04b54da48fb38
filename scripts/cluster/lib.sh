# Shared by up.sh, down.sh and status.sh.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/versions.sh"
PID_DIR=$CLUSTER_DIR/pids
LOG_DIR=$CLUSTER_DIR/logs
PKI_DIR=$CLUSTER_DIR/pki
ADMIN_KUBECONFIG=$CLUSTER_DIR/kubeconfig
APP_KUBECONFIG=$CLUSTER_DIR/kubeconfig-app
COMPONENTS=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok)

binary_of() {
  case $1 in
    etcd) echo "$ETCD_BIN_DIR/etcd" ;;
    kwok) echo "$KWOK_DIR/kwok" ;;
    *) echo "$K8S_BIN_DIR/$1" ;;
  esac
}

# The pid of a component this project started, or nothing. A pid is only trusted while the
# process behind it still runs our binary, so a recycled pid is never signalled.
running_pid() {
  local f=$PID_DIR/$1.pid pid
  [ -f "$f" ] || return 0
  pid=$(cat "$f")
  if [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF "$(binary_of "$1")"; then
    echo "$pid"
  fi
}

apiserver_ready() {
  [ -f "$CLUSTER_DIR/admin-token" ] || return 1
  curl -sf --max-time 2 --cacert "$PKI_DIR/ca.crt" -H "Authorization: Bearer $(cat "$CLUSTER_DIR/admin-token")" \
    "https://127.0.0.1:$APISERVER_PORT/readyz" >/dev/null 2>&1
}
