#!/usr/bin/env bash
# Starts a real Kubernetes control plane on loopback for hubmesh's tests and local use:
# etcd, kube-apiserver (TLS, token auth, RBAC), kube-controller-manager, kube-scheduler and kwok,
# then a fake node, the hub namespace, Istio's and Gateway API's CRDs and the app's least-privilege identity.
# Idempotent: parts already running are kept. Prints the admin kubeconfig path on success.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
start_time=$SECONDS

bash "$here/build.sh"
mkdir -p "$PID_DIR" "$LOG_DIR" "$PKI_DIR"

die_with_log() { # component, message
  echo "cluster:up: $2; last lines of $LOG_DIR/$1.log:" >&2
  tail -n 30 "$LOG_DIR/$1.log" >&2 || true
  exit 1
}

wait_for() { # component, seconds, probe...
  local name=$1 limit=$2; shift 2
  local deadline=$((SECONDS + limit))
  until "$@"; do
    [ -n "$(running_pid "$name")" ] || die_with_log "$name" "$name exited during start-up"
    [ $SECONDS -lt $deadline ] || die_with_log "$name" "$name not ready after ${limit}s"
    sleep 0.3
  done
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

start() { # component, port it listens on, args...
  local name=$1 port=$2; shift 2
  if [ -n "$(running_pid "$name")" ]; then echo "cluster:up: $name already running" >&2; return; fi
  if port_in_use "$port"; then
    echo "cluster:up: cannot start $name: 127.0.0.1:$port is taken by a process this cluster did not start (set HUBMESH_*_PORT, see scripts/cluster/versions.sh)" >&2
    exit 1
  fi
  echo "cluster:up: starting $name" >&2
  setsid "$(binary_of "$name")" "$@" >"$LOG_DIR/$name.log" 2>&1 </dev/null &
  echo $! >"$PID_DIR/$name.pid"
}

make_pki() {
  [ -f "$PKI_DIR/apiserver.crt" ] && return
  (
    cd "$PKI_DIR"
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=hubmesh-test-ca" \
      -keyout ca.key -out ca.crt 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj "/CN=kube-apiserver" -keyout apiserver.key -out apiserver.csr 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc\nextendedKeyUsage=serverAuth\n' >apiserver.ext
    openssl x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 \
      -extfile apiserver.ext -out apiserver.crt 2>/dev/null
    openssl genrsa -out sa.key 2048 2>/dev/null
    openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
  )
}

make_tokens() {
  [ -f "$CLUSTER_DIR/tokens.csv" ] && return
  local admin app
  admin=$(openssl rand -hex 24)
  app=$(openssl rand -hex 24)
  printf '%s' "$admin" >"$CLUSTER_DIR/admin-token"
  printf '%s' "$app" >"$CLUSTER_DIR/app-token"
  {
    echo "$admin,admin,admin,system:masters"
    echo "$app,hubmesh-app,hubmesh-app,hubmesh"
  } >"$CLUSTER_DIR/tokens.csv"
  chmod 600 "$CLUSTER_DIR/tokens.csv" "$CLUSTER_DIR/admin-token" "$CLUSTER_DIR/app-token"
}

write_kubeconfig() { # file, user, token file
  cat >"$1" <<KUBECONFIG
apiVersion: v1
kind: Config
clusters:
  - name: hubmesh-test
    cluster:
      server: https://127.0.0.1:$APISERVER_PORT
      certificate-authority: $PKI_DIR/ca.crt
users:
  - name: $2
    user:
      token: $(cat "$3")
contexts:
  - name: hubmesh-test-$2
    context:
      cluster: hubmesh-test
      user: $2
      namespace: jupyterhub
current-context: hubmesh-test-$2
KUBECONFIG
  chmod 600 "$1"
}

make_pki
make_tokens
write_kubeconfig "$ADMIN_KUBECONFIG" admin "$CLUSTER_DIR/admin-token"
write_kubeconfig "$APP_KUBECONFIG" hubmesh-app "$CLUSTER_DIR/app-token"

etcd_url=http://127.0.0.1:$ETCD_CLIENT_PORT
start etcd "$ETCD_CLIENT_PORT" --name hubmesh-test --data-dir "$ETCD_DATA_DIR" --unsafe-no-fsync \
  --listen-client-urls "$etcd_url" --advertise-client-urls "$etcd_url" \
  --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-cluster "hubmesh-test=http://127.0.0.1:$ETCD_PEER_PORT" \
  --listen-metrics-urls "" --log-level warn --quota-backend-bytes 4294967296
wait_for etcd 20 curl -sf -o /dev/null --max-time 1 "$etcd_url/health"

start kube-apiserver "$APISERVER_PORT" --etcd-servers "$etcd_url" \
  --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$APISERVER_PORT" \
  --tls-cert-file "$PKI_DIR/apiserver.crt" --tls-private-key-file "$PKI_DIR/apiserver.key" \
  --client-ca-file "$PKI_DIR/ca.crt" --token-auth-file "$CLUSTER_DIR/tokens.csv" \
  --authorization-mode RBAC --anonymous-auth=false \
  --service-account-issuer https://kubernetes.default.svc.cluster.local \
  --service-account-key-file "$PKI_DIR/sa.pub" --service-account-signing-key-file "$PKI_DIR/sa.key" \
  --service-cluster-ip-range 10.96.0.0/24 --allow-privileged=true --endpoint-reconciler-type none \
  --disable-admission-plugins ServiceAccount --max-requests-inflight 2000 --max-mutating-requests-inflight 1000
wait_for kube-apiserver 60 apiserver_ready

start kube-controller-manager 0 --kubeconfig "$ADMIN_KUBECONFIG" --leader-elect=false \
  --bind-address 127.0.0.1 --secure-port 0 --controllers '*,-nodeipam,-service-lb-controller,-cloud-node-lifecycle' \
  --service-account-private-key-file "$PKI_DIR/sa.key" --root-ca-file "$PKI_DIR/ca.crt" \
  --kube-api-qps 500 --kube-api-burst 1000
start kube-scheduler 0 --kubeconfig "$ADMIN_KUBECONFIG" --leader-elect=false \
  --bind-address 127.0.0.1 --secure-port 0 --kube-api-qps 500 --kube-api-burst 1000

kubectl_admin() { "$K8S_BIN_DIR/kubectl" --kubeconfig "$ADMIN_KUBECONFIG" "$@"; }

stages=()
for s in node/fast/node-initialize node/heartbeat-with-lease/node-heartbeat-with-lease \
  pod/fast/pod-ready pod/fast/pod-complete pod/fast/pod-delete; do
  stages+=("$KWOK_DIR/stage/$s.yaml")
done
kwok_config=$CLUSTER_DIR/kwok.yaml
awk 'FNR==1 && NR!=1 {print "---"} {print}' "${stages[@]}" >"$kwok_config"
start kwok "$KWOK_PORT" --kubeconfig "$ADMIN_KUBECONFIG" --config "$kwok_config" \
  --manage-all-nodes=false --manage-nodes-with-annotation-selector kwok.x-k8s.io/node=fake \
  --cidr 10.244.0.1/16 --node-ip 10.240.0.1 --server-address "127.0.0.1:$KWOK_PORT" \
  --node-lease-duration-seconds 40

kubectl_admin apply --server-side --field-manager hubmesh-test -f "$here/manifests/bootstrap.yaml" >"$LOG_DIR/bootstrap.log" 2>&1 ||
  die_with_log bootstrap "bootstrap objects were refused"
kubectl_admin apply --server-side --force-conflicts --field-manager hubmesh-test -f "$ISTIO_CRD_FILE" >"$LOG_DIR/crds.log" 2>&1 ||
  die_with_log crds "Istio CRDs were refused"
kubectl_admin wait --for condition=Established --timeout 60s -f "$ISTIO_CRD_FILE" >>"$LOG_DIR/crds.log" 2>&1 ||
  die_with_log crds "Istio CRDs not Established"
kubectl_admin apply --server-side --force-conflicts --field-manager hubmesh-test -f "$GATEWAY_API_CRD_FILE" >>"$LOG_DIR/crds.log" 2>&1 ||
  die_with_log crds "Gateway API CRDs were refused"
kubectl_admin wait --for condition=Established --timeout 60s -f "$GATEWAY_API_CRD_FILE" >>"$LOG_DIR/crds.log" 2>&1 ||
  die_with_log crds "Gateway API CRDs not Established"
kubectl_admin apply --server-side --field-manager hubmesh-test -f "$here/manifests/app-rbac.yaml" >"$LOG_DIR/rbac.log" 2>&1 ||
  die_with_log rbac "app RBAC was refused"
# the identities of the httproute backend and of a backend migration: service accounts, tokens by TokenRequest
kubectl_admin apply --server-side --field-manager hubmesh-test -f "$here/manifests/app-rbac-httproute.yaml" >>"$LOG_DIR/rbac.log" 2>&1 ||
  die_with_log rbac "app RBAC (httproute, migration) was refused"
for identity in httproute migration; do
  kubectl_admin -n jupyterhub create token "hubmesh-app-$identity" --duration 8760h >"$CLUSTER_DIR/app-$identity-token" 2>>"$LOG_DIR/rbac.log" ||
    die_with_log rbac "no token for the service account hubmesh-app-$identity"
  chmod 600 "$CLUSTER_DIR/app-$identity-token"
  write_kubeconfig "$CLUSTER_DIR/kubeconfig-app-$identity" "hubmesh-app-$identity" "$CLUSTER_DIR/app-$identity-token"
done
kubectl_admin wait --for condition=Ready --timeout 60s node/kwok-node-0 >>"$LOG_DIR/bootstrap.log" 2>&1 ||
  die_with_log kwok "the kwok node did not become Ready"

echo "cluster:up: ready in $((SECONDS - start_time))s (kubernetes $K8S_VERSION, etcd $ETCD_VERSION, kwok $KWOK_VERSION, istio api $ISTIO_API_VERSION, gateway api $GATEWAY_API_VERSION)" >&2
echo "$ADMIN_KUBECONFIG"
