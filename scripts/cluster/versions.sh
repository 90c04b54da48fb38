# Versions of the real control-plane parts the tests run against. One place to bump them.
K8S_VERSION=v1.35.4
ETCD_VERSION=v3.6.16
KWOK_VERSION=v0.8.0
ISTIO_API_VERSION=v1.31.4
# istio.io/istio for the tests' istio-oracle (test/istio-oracle): istiod's config generator, its Envoy simulation
# and istioctl's analyzers. The module proxy serves this snapshot; no tagged release holds pilot as a module.
ISTIO_VERSION=v0.0.0-20260827124520-eed52ebb66ad
# sigs.k8s.io/gateway-api: its standard-channel CRDs (Gateway, HTTPRoute, ...) are installed next to Istio's.
GATEWAY_API_VERSION=v1.6.3

HUBMESH_CACHE=${HUBMESH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hubmesh}
K8S_BIN_DIR=$HUBMESH_CACHE/k8s/$K8S_VERSION
ETCD_BIN_DIR=$HUBMESH_CACHE/etcd/$ETCD_VERSION
KWOK_DIR=$HUBMESH_CACHE/kwok/$KWOK_VERSION
ISTIO_CRD_FILE=$HUBMESH_CACHE/istio-api/$ISTIO_API_VERSION/customresourcedefinitions.gen.yaml
GATEWAY_API_CRD_FILE=$HUBMESH_CACHE/gateway-api/$GATEWAY_API_VERSION/standard-crds.yaml

# A running test cluster keeps its state, certificates, kubeconfigs, pid files and logs here.
CLUSTER_DIR=${HUBMESH_CLUSTER_DIR:-$HUBMESH_CACHE/cluster}
ETCD_DATA_DIR=${HUBMESH_ETCD_DATA_DIR:-/dev/shm/hubmesh-etcd-$(id -u)}
ETCD_CLIENT_PORT=${HUBMESH_ETCD_PORT:-23790}
ETCD_PEER_PORT=${HUBMESH_ETCD_PEER_PORT:-23800}
APISERVER_PORT=${HUBMESH_APISERVER_PORT:-16443}
KWOK_PORT=${HUBMESH_KWOK_PORT:-16080}
