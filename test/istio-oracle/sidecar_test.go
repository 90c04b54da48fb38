package main

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// A notebook Pod and its Service, and AuthorizationPolicies for it: the inbound
// chains of its sidecar on 8888 must carry the RBAC filters Istio builds from them.
const notebookObjects = `apiVersion: v1
kind: Namespace
metadata: {name: jupyterhub, labels: {istio-injection: enabled}}
---
apiVersion: v1
kind: Pod
metadata:
  name: jupyter-alice
  namespace: jupyterhub
  labels: {component: singleuser-server, hub.jupyter.org/username: alice}
spec:
  serviceAccountName: default
  containers:
  - name: notebook
    image: quay.io/jupyter/base-notebook
    ports: [{containerPort: 8888}]
  - name: istio-proxy
    image: istio/proxyv2
---
apiVersion: v1
kind: Service
metadata: {name: jupyter-alice, namespace: jupyterhub}
spec:
  selector: {component: singleuser-server, hub.jupyter.org/username: alice}
  ports: [{name: http, port: 8888, targetPort: 8888}]
`

const allowGateway = `---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: notebooks-from-gateway, namespace: jupyterhub}
spec:
  selector: {matchLabels: {component: singleuser-server}}
  action: ALLOW
  rules:
  - from: [{source: {principals: [cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account]}}]
`

const denyKernels = `---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: no-kernels, namespace: jupyterhub}
spec:
  selector: {matchLabels: {component: singleuser-server}}
  action: DENY
  rules:
  - to: [{operation: {paths: ["/user/alice/api/kernels*", "*/terminals"], methods: [POST]}}]
`

const strict = `---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: default, namespace: jupyterhub}
spec:
  mtls: {mode: STRICT}
`

func runSidecarCase(t *testing.T, objects string) Output {
	t.Helper()
	c := Case{ID: "sidecar", Objects: objects, Sidecar: &SidecarSpec{
		Namespace: "jupyterhub",
		Labels:    map[string]string{"component": "singleuser-server", "hub.jupyter.org/username": "alice"},
		Ports:     []int{8888},
	}}
	line, _ := json.Marshal(c)
	out := runCase(line)
	if out.Error != "" {
		t.Fatalf("error: %s", out.Error)
	}
	for _, m := range out.Messages {
		if m.Level == "Error" {
			t.Errorf("message: %+v", m)
		}
	}
	if out.Sidecar == nil || out.InboundRBAC == nil {
		t.Fatalf("no sidecar output: %+v", out)
	}
	// a sidecar-only case does not simulate the gateway
	if len(out.Results) != 0 || out.HTTPFilters != nil {
		t.Errorf("gateway output on a sidecar-only case: %+v", out)
	}
	return out
}

func TestSidecarAllowFromOnePrincipal(t *testing.T) {
	out := runSidecarCase(t, notebookObjects+allowGateway)
	info := out.Sidecar
	if info.Pod != "jupyterhub/jupyter-alice" || info.Identity != "spiffe://cluster.local/ns/jupyterhub/sa/default" || info.ProxyID != "jupyter-alice.jupyterhub" {
		t.Errorf("sidecar: %+v", info)
	}
	if !slices.Contains(info.ServiceTargets, "jupyter-alice.jupyterhub.svc.cluster.local:8888/HTTP -> 8888") {
		t.Errorf("service targets: %v", info.ServiceTargets)
	}
	chains := *out.InboundRBAC
	// PERMISSIVE (no PeerAuthentication): one mTLS and one plaintext HTTP chain for 8888
	var tlsChains, plainChains int
	for _, c := range chains {
		if c.Chain.Port != 8888 || c.Chain.DestinationPort != 8888 || c.Chain.Passthrough || c.Chain.Protocol != "http" {
			t.Errorf("chain: %+v", c.Chain)
		}
		if c.Chain.TLS {
			tlsChains++
			if c.Chain.Transport != "tls" || !c.Chain.RequireClientCertificate {
				t.Errorf("mTLS chain: %+v", c.Chain)
			}
		} else {
			plainChains++
			if c.Chain.Transport != "raw_buffer" {
				t.Errorf("plaintext chain: %+v", c.Chain)
			}
		}
		if len(c.Filters) != 1 || c.Filters[0].Name != "envoy.filters.http.rbac" || len(c.NetworkFilters) != 0 {
			t.Fatalf("filters of %s: %+v / %+v", c.Chain.Name, c.Filters, c.NetworkFilters)
		}
		if i := slices.Index(c.HTTPFilters, "envoy.filters.http.rbac"); i < 0 || i > slices.Index(c.HTTPFilters, "envoy.filters.http.router") {
			t.Errorf("http filters: %v", c.HTTPFilters)
		}
		if c.PathHandling == nil {
			t.Errorf("no path handling on %s", c.Chain.Name)
		}
		cfg := decode(t, c.Filters[0].Config)
		if typ := dig(t, cfg, "@type"); typ != "type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC" {
			t.Errorf("@type %v", typ)
		}
		rules := dig(t, cfg, "rules").(map[string]any)
		if _, ok := rules["action"]; ok {
			t.Errorf("ALLOW is the zero value; protojson leaves it out: %v", rules)
		}
		policies := dig(t, rules, "policies").(map[string]any)
		if len(policies) != 1 {
			t.Fatalf("policies: %v", policies)
		}
		p := dig(t, policies, "ns[jupyterhub]-policy[notebooks-from-gateway]-rule[0]")
		// principals: and_ids[or_ids[authenticated{principal_name{exact: spiffe://...}}]]
		name := dig(t, p, "principals", 0, "and_ids", "ids", 0, "or_ids", "ids", 0, "authenticated", "principal_name", "exact")
		if name != "spiffe://cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account" {
			t.Errorf("principal: %v", name)
		}
		if any := dig(t, p, "permissions", 0, "and_rules", "rules", 0, "any"); any != true {
			t.Errorf("permission: %v", any)
		}
	}
	if tlsChains != 1 || plainChains != 1 {
		t.Errorf("chains: %d mTLS, %d plaintext: %+v", tlsChains, plainChains, chains)
	}
}

func TestSidecarDenyBeforeAllowUnderStrict(t *testing.T) {
	out := runSidecarCase(t, notebookObjects+allowGateway+denyKernels+strict)
	chains := *out.InboundRBAC
	if len(chains) != 1 || !chains[0].Chain.TLS {
		t.Fatalf("STRICT: expected only the mTLS chain: %+v", chains)
	}
	c := chains[0]
	if len(c.Filters) != 2 {
		t.Fatalf("filters: %+v", c.Filters)
	}
	first, second := decode(t, c.Filters[0].Config), decode(t, c.Filters[1].Config)
	if a := dig(t, first, "rules", "action"); a != "DENY" {
		t.Errorf("first filter action %v", a)
	}
	if _, ok := dig(t, second, "rules").(map[string]any)["action"]; ok {
		t.Errorf("second filter should be ALLOW: %v", second)
	}
	deny := dig(t, first, "rules", "policies", "ns[jupyterhub]-policy[no-kernels]-rule[0]")
	js, _ := json.Marshal(deny)
	for _, want := range []string{`"url_path"`, `"prefix":"/user/alice/api/kernels"`, `"suffix":"/terminals"`, `":method"`, `"exact":"POST"`} {
		if !strings.Contains(string(js), want) {
			t.Errorf("deny policy lacks %s: %s", want, js)
		}
	}
}

func TestSidecarErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		spec SidecarSpec
		want string
	}{
		"no namespace": {SidecarSpec{Labels: map[string]string{"a": "b"}, Ports: []int{8888}}, "namespace is required"},
		"no ports":     {SidecarSpec{Namespace: "jupyterhub", Labels: map[string]string{"component": "singleuser-server"}}, "ports is required"},
		"wrong sa":     {SidecarSpec{Namespace: "jupyterhub", Labels: map[string]string{"component": "singleuser-server"}, ServiceAccount: "hub", Ports: []int{8888}}, "differs from Pod"},
		"no such pod":  {SidecarSpec{Namespace: "jupyterhub", Pod: "jupyter-bob", Ports: []int{8888}}, "no Pod jupyterhub/jupyter-bob"},
		"no selection": {SidecarSpec{Namespace: "jupyterhub", Ports: []int{8888}}, "needs labels or pod"},
	} {
		t.Run(name, func(t *testing.T) {
			spec := tc.spec
			line, _ := json.Marshal(Case{ID: name, Objects: notebookObjects, Sidecar: &spec})
			out := runCase(line)
			if !strings.Contains(out.Error, tc.want) {
				t.Errorf("error %q, want %q", out.Error, tc.want)
			}
		})
	}
}
