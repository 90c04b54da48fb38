package main

// The inbound side of a workload's sidecar: the oracle sets up a sidecar proxy for
// a workload (a notebook Pod) against the same fake discovery server as the
// gateway, generates its listeners with istiod's config generator, and returns
// the RBAC filters of the virtualInbound filter chains that serve the workload's
// ports, as protojson like a config dump.

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	listener "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	hcm "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	"google.golang.org/protobuf/types/known/anypb"
	corev1 "k8s.io/api/core/v1"

	"istio.io/istio/pilot/pkg/model"
	"istio.io/istio/pilot/test/xds"
	"istio.io/istio/pkg/spiffe"
	"istio.io/istio/pkg/wellknown"
)

// SidecarSpec (case field "sidecar") names the workload whose inbound sidecar
// configuration to generate.
type SidecarSpec struct {
	// Namespace of the workload (required).
	Namespace string `json:"namespace"`
	// Labels select the workload's Pod among the case's objects (all must match); when no
	// Pod matches they become the proxy's labels as they are.
	Labels map[string]string `json:"labels,omitempty"`
	// Pod names the workload's Pod instead of (or besides) Labels.
	Pod string `json:"pod,omitempty"`
	// ServiceAccount of the workload (default: the Pod's serviceAccountName, else "default").
	ServiceAccount string `json:"serviceAccount,omitempty"`
	// IP of the workload (default: the Pod's status.podIP, else 10.10.0.10).
	IP string `json:"ip,omitempty"`
	// Ports are the workload (target) ports whose inbound filter chains to return.
	Ports []int `json:"ports"`
}

// SidecarInfo describes the sidecar proxy the oracle set up (verdict "sidecar").
type SidecarInfo struct {
	ProxyID string `json:"proxyId"`
	// Pod is "<namespace>/<name>" of the workload's Pod, "" when no Pod in the case matched.
	Pod string `json:"pod"`
	IP  string `json:"ip"`
	// Identity is the workload's SPIFFE identity (spiffe://cluster.local/ns/<ns>/sa/<sa>).
	Identity string            `json:"identity"`
	Labels   map[string]string `json:"labels"`
	// ServiceTargets are the Service ports istiod found for the workload:
	// "<hostname>:<port>/<protocol> -> <targetPort>".
	ServiceTargets []string `json:"serviceTargets"`
	// Notes explain choices the oracle made (a Pod status filled in, no Pod found, ...).
	Notes []string `json:"notes,omitempty"`
}

// InboundChain identifies one filter chain of the virtualInbound listener by its match.
type InboundChain struct {
	// Port is the asked workload port this chain serves.
	Port int    `json:"port"`
	Name string `json:"name"`
	// DestinationPort is filter_chain_match.destination_port (0: none, a passthrough chain).
	DestinationPort int `json:"destinationPort"`
	// Transport is filter_chain_match.transport_protocol ("tls", "raw_buffer" or "").
	Transport            string   `json:"transport"`
	ApplicationProtocols []string `json:"applicationProtocols"`
	// TLS: the chain terminates TLS (it has a transport socket), i.e. Istio mTLS.
	TLS bool `json:"tls"`
	// RequireClientCertificate: the TLS context demands a client certificate, so every
	// request on this chain has a peer principal.
	RequireClientCertificate bool `json:"requireClientCertificate"`
	// Protocol: "http" (the chain ends in an HTTP connection manager) or "tcp".
	Protocol string `json:"protocol"`
	// Passthrough: a catch-all chain without destination port (used because no chain names the port).
	Passthrough bool `json:"passthrough"`
	// SourcePrefixRanges / PrefixRanges of the match, as "addr/len" (usually empty).
	SourcePrefixRanges []string `json:"sourcePrefixRanges,omitempty"`
	PrefixRanges       []string `json:"prefixRanges,omitempty"`
}

// NamedConfig is one filter: its name and its typed config (protojson, proto names).
type NamedConfig struct {
	Name   string          `json:"name"`
	Config json.RawMessage `json:"config"`
}

// PathHandling is what the inbound HTTP connection manager does to :path before
// the HTTP filters (RBAC among them) see it.
type PathHandling struct {
	NormalizePath                bool   `json:"normalize_path"`
	MergeSlashes                 bool   `json:"merge_slashes"`
	PathWithEscapedSlashesAction string `json:"path_with_escaped_slashes_action"`
}

// InboundRBAC is one inbound filter chain with its RBAC filters.
type InboundRBAC struct {
	Chain InboundChain `json:"chain"`
	// HTTPFilters are all HTTP filter names of the chain's connection manager, in order
	// ([] for a TCP chain), to see the RBAC filters' place among ext_authz etc.
	HTTPFilters []string `json:"httpFilters"`
	// Filters are the envoy.filters.http.rbac filters, in order.
	Filters []NamedConfig `json:"filters"`
	// NetworkFilterNames are all network filter names of the chain, in order.
	NetworkFilterNames []string `json:"networkFilterNames"`
	// NetworkFilters are the envoy.filters.network.rbac filters, in order.
	NetworkFilters []NamedConfig `json:"networkFilters"`
	// PathHandling of the chain's HTTP connection manager; omitted for TCP chains.
	PathHandling *PathHandling `json:"pathHandling,omitempty"`
	Detail       string        `json:"detail,omitempty"`
}

const defaultSidecarIP = "10.10.0.10"

// sidecarWorkload is what prepareSidecar decided about the workload.
type sidecarWorkload struct {
	spec   SidecarSpec
	pod    *corev1.Pod
	ip     string
	sa     string
	labels map[string]string
	notes  []string
}

func labelsMatch(have, want map[string]string) bool {
	for k, v := range want {
		if hv, ok := have[k]; !ok || hv != v {
			return false
		}
	}
	return true
}

// prepareSidecar finds the workload's Pod among the case's Kubernetes objects and makes it a
// running, ready Pod at the workload's IP (filling in the status the API server and kubelet
// would have set), so istiod's pod cache finds it by proxy ID or IP as for a real sidecar.
func prepareSidecar(p *parsedObjects, s SidecarSpec) (*sidecarWorkload, error) {
	if s.Namespace == "" {
		return nil, fmt.Errorf("sidecar.namespace is required")
	}
	if len(s.Labels) == 0 && s.Pod == "" {
		return nil, fmt.Errorf("sidecar needs labels or pod to find the workload")
	}
	if len(s.Ports) == 0 {
		return nil, fmt.Errorf("sidecar.ports is required (the workload ports whose inbound chains to return)")
	}
	w := &sidecarWorkload{spec: s}
	var matches []*corev1.Pod
	for _, obj := range p.kube {
		pod, ok := obj.(*corev1.Pod)
		if !ok || pod.Namespace != s.Namespace {
			continue
		}
		if s.Pod != "" && pod.Name != s.Pod {
			continue
		}
		if !labelsMatch(pod.Labels, s.Labels) {
			continue
		}
		matches = append(matches, pod)
	}
	switch len(matches) {
	case 0:
		if s.Pod != "" {
			return nil, fmt.Errorf("sidecar: no Pod %s/%s with labels %v among the objects", s.Namespace, s.Pod, s.Labels)
		}
		w.labels = s.Labels
		w.sa = s.ServiceAccount
		if w.sa == "" {
			w.sa = "default"
		}
		w.ip = s.IP
		if w.ip == "" {
			w.ip = defaultSidecarIP
		}
		w.notes = append(w.notes, "no Pod matches; istiod finds the workload's Services from the proxy's labels alone (numeric targetPorts needed)")
		return w, nil
	case 1:
	default:
		names := make([]string, 0, len(matches))
		for _, m := range matches {
			names = append(names, m.Name)
		}
		return nil, fmt.Errorf("sidecar: %d Pods match (%s); name one with sidecar.pod", len(matches), strings.Join(names, ", "))
	}
	pod := matches[0]
	w.pod = pod
	w.labels = pod.Labels
	podSA := pod.Spec.ServiceAccountName
	if podSA == "" {
		podSA = "default" // what the API server's ServiceAccount admission sets
	}
	switch {
	case s.ServiceAccount == "":
		w.sa = podSA
	case s.ServiceAccount != podSA:
		return nil, fmt.Errorf("sidecar.serviceAccount %q differs from Pod %s/%s's serviceAccountName %q", s.ServiceAccount, pod.Namespace, pod.Name, podSA)
	default:
		w.sa = s.ServiceAccount
	}
	switch {
	case s.IP != "" && pod.Status.PodIP != "" && s.IP != pod.Status.PodIP:
		return nil, fmt.Errorf("sidecar.ip %s differs from Pod %s/%s's status.podIP %s", s.IP, pod.Namespace, pod.Name, pod.Status.PodIP)
	case pod.Status.PodIP != "":
		w.ip = pod.Status.PodIP
	default:
		w.ip = s.IP
		if w.ip == "" {
			w.ip = defaultSidecarIP
		}
		pod.Status.PodIP = w.ip
		pod.Status.PodIPs = []corev1.PodIP{{IP: w.ip}}
		w.notes = append(w.notes, "Pod status.podIP set to "+w.ip)
	}
	if pod.Status.Phase == "" {
		pod.Status.Phase = corev1.PodRunning
		w.notes = append(w.notes, "Pod status.phase set to Running")
	}
	hasReady := false
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodReady {
			hasReady = true
		}
	}
	if !hasReady {
		pod.Status.Conditions = append(pod.Status.Conditions, corev1.PodCondition{Type: corev1.PodReady, Status: corev1.ConditionTrue})
		w.notes = append(w.notes, "Pod condition Ready=True added")
	}
	return w, nil
}

// buildSidecar sets up the sidecar proxy and returns its listeners.
func buildSidecar(fds *xds.FakeDiscoveryServer, w *sidecarWorkload) ([]*listener.Listener, SidecarInfo) {
	ns := w.spec.Namespace
	id := "istio-oracle-sidecar." + ns
	podName := ""
	if w.pod != nil {
		id = w.pod.Name + "." + ns // istiod finds the Pod by the proxy ID "<pod>.<namespace>"
		podName = ns + "/" + w.pod.Name
	}
	identity := spiffe.Identity{TrustDomain: "cluster.local", Namespace: ns, ServiceAccount: w.sa}
	proxy := fds.SetupProxy(&model.Proxy{
		Type:             model.SidecarProxy,
		ID:               id,
		IPAddresses:      []string{w.ip},
		ConfigNamespace:  ns,
		Labels:           w.labels,
		VerifiedIdentity: &identity,
		Metadata: &model.NodeMetadata{
			Labels:         w.labels,
			Namespace:      ns,
			ServiceAccount: w.sa,
		},
	})
	info := SidecarInfo{ProxyID: id, Pod: podName, IP: w.ip, Identity: identity.String(), Labels: w.labels, ServiceTargets: []string{}, Notes: w.notes}
	for _, st := range proxy.ServiceTargets {
		info.ServiceTargets = append(info.ServiceTargets, fmt.Sprintf("%s:%d/%s -> %d", st.Service.Hostname, st.Port.ServicePort.Port, st.Port.ServicePort.Protocol, st.Port.TargetPort))
	}
	sort.Strings(info.ServiceTargets)
	return fds.Listeners(proxy), info
}

// inboundRBAC returns, for each asked port, the virtualInbound filter chains Envoy would pick
// from for a connection to that port (those matching destination_port; if none does, the
// passthrough chains without destination_port), with their RBAC filters.
func inboundRBAC(listeners []*listener.Listener, ports []int) ([]InboundRBAC, string) {
	var vi *listener.Listener
	for _, l := range listeners {
		if l.GetName() == model.VirtualInboundListenerName {
			vi = l
			break
		}
	}
	out := []InboundRBAC{}
	if vi == nil {
		return out, "the sidecar has no " + model.VirtualInboundListenerName + " listener"
	}
	for _, port := range ports {
		var chains []*listener.FilterChain
		for _, fc := range vi.GetFilterChains() {
			if dp := fc.GetFilterChainMatch().GetDestinationPort(); dp != nil && int(dp.GetValue()) == port {
				chains = append(chains, fc)
			}
		}
		passthrough := false
		if len(chains) == 0 {
			passthrough = true
			for _, fc := range vi.GetFilterChains() {
				if fc.GetFilterChainMatch().GetDestinationPort() == nil {
					chains = append(chains, fc)
				}
			}
		}
		for _, fc := range chains {
			out = append(out, describeInboundChain(fc, port, passthrough))
		}
	}
	return out, ""
}

// anyJSON renders a typed_config as protojson, with its "@type", like a config dump.
func anyJSON(a *anypb.Any) (json.RawMessage, string) {
	if a == nil {
		return json.RawMessage("null"), "no typed_config"
	}
	return protoJSON(a)
}

func describeInboundChain(fc *listener.FilterChain, port int, passthrough bool) InboundRBAC {
	m := fc.GetFilterChainMatch()
	chain := InboundChain{
		Port:                 port,
		Name:                 fc.GetName(),
		DestinationPort:      int(m.GetDestinationPort().GetValue()),
		Transport:            m.GetTransportProtocol(),
		ApplicationProtocols: append([]string{}, m.GetApplicationProtocols()...),
		TLS:                  fc.GetTransportSocket() != nil,
		Protocol:             "tcp",
		Passthrough:          passthrough,
	}
	for _, r := range m.GetSourcePrefixRanges() {
		chain.SourcePrefixRanges = append(chain.SourcePrefixRanges, fmt.Sprintf("%s/%d", r.GetAddressPrefix(), r.GetPrefixLen().GetValue()))
	}
	for _, r := range m.GetPrefixRanges() {
		chain.PrefixRanges = append(chain.PrefixRanges, fmt.Sprintf("%s/%d", r.GetAddressPrefix(), r.GetPrefixLen().GetValue()))
	}
	res := InboundRBAC{HTTPFilters: []string{}, Filters: []NamedConfig{}, NetworkFilterNames: []string{}, NetworkFilters: []NamedConfig{}}
	var problems []string
	if ts := fc.GetTransportSocket(); ts != nil {
		tc := &tlsv3.DownstreamTlsContext{}
		if err := ts.GetTypedConfig().UnmarshalTo(tc); err != nil {
			problems = append(problems, "cannot decode the transport socket: "+err.Error())
		} else {
			chain.RequireClientCertificate = tc.GetRequireClientCertificate().GetValue()
		}
	}
	for _, f := range fc.GetFilters() {
		res.NetworkFilterNames = append(res.NetworkFilterNames, f.GetName())
		switch f.GetName() {
		case wellknown.RoleBasedAccessControl:
			js, problem := anyJSON(f.GetTypedConfig())
			if problem != "" {
				problems = append(problems, f.GetName()+": "+problem)
			}
			res.NetworkFilters = append(res.NetworkFilters, NamedConfig{Name: f.GetName(), Config: js})
		case wellknown.HTTPConnectionManager:
			chain.Protocol = "http"
			h := &hcm.HttpConnectionManager{}
			if err := f.GetTypedConfig().UnmarshalTo(h); err != nil {
				problems = append(problems, "cannot decode the HTTP connection manager: "+err.Error())
				continue
			}
			res.PathHandling = &PathHandling{
				NormalizePath:                h.GetNormalizePath().GetValue(),
				MergeSlashes:                 h.GetMergeSlashes(),
				PathWithEscapedSlashesAction: h.GetPathWithEscapedSlashesAction().String(),
			}
			for _, hf := range h.GetHttpFilters() {
				res.HTTPFilters = append(res.HTTPFilters, hf.GetName())
				if hf.GetName() != wellknown.HTTPRoleBasedAccessControl {
					continue
				}
				js, problem := anyJSON(hf.GetTypedConfig())
				if problem != "" {
					problems = append(problems, hf.GetName()+": "+problem)
				}
				res.Filters = append(res.Filters, NamedConfig{Name: hf.GetName(), Config: js})
			}
		}
	}
	res.Chain = chain
	res.Detail = strings.Join(problems, "; ")
	return res
}
