package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// The Gateway every test below attaches its HTTPRoutes to, and the Services they route to.
const gatewayAPIBase = `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: hub
  namespace: jupyterhub
  creationTimestamp: "2026-01-01T00:00:00Z"
  annotations: {networking.istio.io/service-type: ClusterIP}
spec:
  gatewayClassName: istio
  listeners:
  - {name: http, port: 80, protocol: HTTP, hostname: hub.example.com}
---
apiVersion: v1
kind: Service
metadata: {name: hub, namespace: jupyterhub}
spec:
  selector: {app: hub}
  ports: [{name: http, port: 8081}]
---
apiVersion: v1
kind: Service
metadata: {name: jupyter-alice, namespace: jupyterhub}
spec:
  selector: {app: jupyter-alice}
  ports: [{name: http, port: 8888}]
---
apiVersion: v1
kind: Service
metadata: {name: jupyter-alice-canary, namespace: jupyterhub}
spec:
  selector: {app: jupyter-alice-canary}
  ports: [{name: http, port: 8888}]
`

const (
	hubAPICluster = "outbound|8081||hub.jupyterhub.svc.cluster.local"
	aliceCluster  = "outbound|8888||jupyter-alice.jupyterhub.svc.cluster.local"
	canaryCluster = "outbound|8888||jupyter-alice-canary.jupyterhub.svc.cluster.local"
)

func runGatewayAPICase(t *testing.T, routes string, requests ...Request) Output {
	t.Helper()
	c := Case{ID: t.Name(), Objects: gatewayAPIBase + "---\n" + routes, Requests: requests,
		GatewayAPI: &GatewayAPISpec{Namespace: "jupyterhub", Name: "hub"}}
	line, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	out := runCase(line)
	if out.Error != "" {
		t.Fatalf("case error: %s", out.Error)
	}
	if len(out.Results) != len(requests) {
		t.Fatalf("%d results for %d requests", len(out.Results), len(requests))
	}
	return out
}

func hubRequest(path string, headers ...string) Request {
	r := Request{Host: "hub.example.com", Path: path}
	if len(headers) > 0 {
		r.Headers = map[string]HeaderValues{}
		for i := 0; i+1 < len(headers); i += 2 {
			r.Headers[headers[i]] = HeaderValues{headers[i+1]}
		}
	}
	return r
}

func expectRoute(t *testing.T, r Result, routeName, httpRoute, cluster, path string) {
	t.Helper()
	if r.RouteName != routeName || r.HTTPRoute != httpRoute || r.Outcome != OutcomeCluster || r.Cluster != cluster || r.Path != path {
		t.Errorf("want route %q of %s to %s with path %q; got route %q of %q, outcome %s, cluster %q, path %q (%s)",
			routeName, httpRoute, cluster, path, r.RouteName, r.HTTPRoute, r.Outcome, r.Cluster, r.Path, r.Detail)
	}
}

// parentCondition is one condition of an HTTPRoute's parents[] entry as Istio computed it.
type parentCondition struct{ Status, Reason, Message string }

type routeParentStatus struct {
	ParentRef      struct{ Name, SectionName string }
	ControllerName string
	Conditions     []struct{ Type, Status, Reason, Message string }
}

func objectStatus(t *testing.T, out Output, kind, name string) json.RawMessage {
	t.Helper()
	if out.GatewayAPIStatus == nil {
		t.Fatalf("no gatewayApiStatus")
	}
	for _, s := range *out.GatewayAPIStatus {
		if s.Kind == kind && s.Namespace == "jupyterhub" && s.Name == name {
			return s.Status
		}
	}
	t.Fatalf("no status for %s jupyterhub/%s in %+v", kind, name, *out.GatewayAPIStatus)
	return nil
}

func routeParents(t *testing.T, out Output, name string) []routeParentStatus {
	t.Helper()
	var st struct{ Parents []routeParentStatus }
	if err := json.Unmarshal(objectStatus(t, out, "HTTPRoute", name), &st); err != nil {
		t.Fatal(err)
	}
	return st.Parents
}

// routeCondition returns the condition of the HTTPRoute's only parent, written by Istio's controller.
func routeCondition(t *testing.T, out Output, name, condition string) parentCondition {
	t.Helper()
	parents := routeParents(t, out, name)
	if len(parents) != 1 || parents[0].ControllerName != "istio.io/gateway-controller" {
		t.Fatalf("HTTPRoute %s: want one parent status by istio.io/gateway-controller, got %+v", name, parents)
	}
	for _, c := range parents[0].Conditions {
		if c.Type == condition {
			return parentCondition{c.Status, c.Reason, c.Message}
		}
	}
	t.Fatalf("HTTPRoute %s: no %s condition in %+v", name, condition, parents[0].Conditions)
	return parentCondition{}
}

func expectAccepted(t *testing.T, out Output, names ...string) {
	t.Helper()
	for _, name := range names {
		if c := routeCondition(t, out, name, "Accepted"); c.Status != "True" || c.Reason != "Accepted" {
			t.Errorf("HTTPRoute %s not Accepted: %+v", name, c)
		}
		if c := routeCondition(t, out, name, "ResolvedRefs"); c.Status != "True" || c.Reason != "ResolvedRefs" {
			t.Errorf("HTTPRoute %s refs not resolved: %+v", name, c)
		}
	}
}

func TestGatewayAPIPathPrefixIsSegmentWiseAcrossRoutes(t *testing.T) {
	// The oldest route is v1beta1: the API server serves it as v1, the version istiod watches.
	// Unlike merged VirtualServices (ordered by age), the longest prefix wins across HTTPRoutes:
	// the older /user does not shadow the newer /user/alice.
	out := runGatewayAPICase(t, `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: users, namespace: jupyterhub, creationTimestamp: "2026-01-01T12:00:00Z"}
spec:
  parentRefs: [{name: hub}]
  rules:
  - matches: [{path: {type: PathPrefix, value: /user}}]
    backendRefs: [{name: hub, port: 8081}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: alice, namespace: jupyterhub, creationTimestamp: "2026-01-02T00:00:00Z"}
spec:
  parentRefs: [{name: hub, sectionName: http}]
  rules:
  - matches: [{path: {type: PathPrefix, value: /user/alice}}]
    backendRefs: [{name: jupyter-alice, port: 8888}]
---
apiVersion: gateway.networking.k8s.io/v1beta1
kind: HTTPRoute
metadata: {name: root, namespace: jupyterhub, creationTimestamp: "2026-01-01T00:00:00Z"}
spec:
  parentRefs: [{name: hub}]
  rules:
  - matches: [{path: {type: PathPrefix, value: /}}]
    backendRefs: [{name: hub, port: 8081}]
`, hubRequest("/user/alice/lab"), hubRequest("/useralice"), hubRequest("/user/alice"), hubRequest("/user/alicex"))

	expectRoute(t, out.Results[0], "jupyterhub.alice.0", "jupyterhub/alice", aliceCluster, "/user/alice/lab")
	expectRoute(t, out.Results[1], "jupyterhub.root.0", "jupyterhub/root", hubAPICluster, "/useralice")
	expectRoute(t, out.Results[2], "jupyterhub.alice.0", "jupyterhub/alice", aliceCluster, "/user/alice")
	expectRoute(t, out.Results[3], "jupyterhub.users.0", "jupyterhub/users", hubAPICluster, "/user/alicex")
	if out.Results[0].VirtualHost != "hub.example.com:80" {
		t.Errorf("virtual host %q", out.Results[0].VirtualHost)
	}
	var match struct {
		Match map[string]any `json:"match"`
	}
	if err := json.Unmarshal(out.Results[0].Route, &match); err != nil || match.Match["path_separated_prefix"] != "/user/alice" {
		t.Errorf("PathPrefix /user/alice should become path_separated_prefix: %s", out.Results[0].Route)
	}
	for i, r := range out.Results {
		// Istio's simulator compares path_separated_prefix as a plain prefix, so it sends /user/alicex to alice.
		if !r.Simulation.Checked || !(r.Simulation.Agrees || r.Simulation.Explained) {
			t.Errorf("request %d: simulator disagrees unexplained: %+v", i, r.Simulation)
		}
	}
	if !out.Results[0].Simulation.Agrees || out.Results[3].Simulation.Agrees || !out.Results[3].Simulation.Explained {
		t.Errorf("simulator: want agreement on /user/alice/lab and an explained disagreement on /user/alicex: %+v / %+v",
			out.Results[0].Simulation, out.Results[3].Simulation)
	}
	expectAccepted(t, out, "alice", "root", "users")
	if len(out.Messages) != 0 {
		t.Errorf("a clean case should give no messages: %+v", out.Messages)
	}

	var gw struct {
		Conditions []struct{ Type, Status, Reason string }
		Listeners  []struct {
			Name           string
			AttachedRoutes int
		}
	}
	if err := json.Unmarshal(objectStatus(t, out, "Gateway", "hub"), &gw); err != nil {
		t.Fatal(err)
	}
	conds := map[string]string{}
	for _, c := range gw.Conditions {
		conds[c.Type] = c.Status + "/" + c.Reason
	}
	if conds["Accepted"] != "True/Accepted" || conds["Programmed"] != "True/Programmed" {
		t.Errorf("Gateway conditions %+v", gw.Conditions)
	}
	if len(gw.Listeners) != 1 || gw.Listeners[0].Name != "http" || gw.Listeners[0].AttachedRoutes != 3 {
		t.Errorf("Gateway listeners %+v", gw.Listeners)
	}
}

func TestGatewayAPIHeaderMatchBeatsPlainRuleOnTheSamePath(t *testing.T) {
	// The plain rule comes first in the route, yet Gateway API ranks the rule with a header match higher.
	out := runGatewayAPICase(t, `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: alice, namespace: jupyterhub}
spec:
  parentRefs: [{name: hub}]
  rules:
  - matches: [{path: {type: PathPrefix, value: /user/alice}}]
    backendRefs: [{name: jupyter-alice, port: 8888}]
  - matches:
    - path: {type: PathPrefix, value: /user/alice}
      headers: [{type: RegularExpression, name: cookie, value: ".*hubmesh-preview=demo.*"}]
    backendRefs: [{name: jupyter-alice-canary, port: 8888}]
`, hubRequest("/user/alice/lab", "cookie", "a=1; hubmesh-preview=demo"), hubRequest("/user/alice/lab", "cookie", "a=1"), hubRequest("/user/alice/lab"))

	expectRoute(t, out.Results[0], "jupyterhub.alice.1", "jupyterhub/alice", canaryCluster, "/user/alice/lab")
	expectRoute(t, out.Results[1], "jupyterhub.alice.0", "jupyterhub/alice", aliceCluster, "/user/alice/lab")
	expectRoute(t, out.Results[2], "jupyterhub.alice.0", "jupyterhub/alice", aliceCluster, "/user/alice/lab")
	// The simulator ignores headers: it takes the first route, the header rule.
	if s := out.Results[2].Simulation; s.Agrees || !s.Explained {
		t.Errorf("simulation without headers: %+v", s)
	}
	expectAccepted(t, out, "alice")
}

func TestGatewayAPIWeightedBackendRefs(t *testing.T) {
	out := runGatewayAPICase(t, `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: alice, namespace: jupyterhub}
spec:
  parentRefs: [{name: hub}]
  rules:
  - matches: [{path: {type: PathPrefix, value: /user/alice}}]
    backendRefs:
    - {name: jupyter-alice, port: 8888, weight: 90}
    - {name: jupyter-alice-canary, port: 8888, weight: 10}
`, hubRequest("/user/alice/"))
	r := out.Results[0]
	want := []WeightedCluster{{Name: aliceCluster, Weight: 90}, {Name: canaryCluster, Weight: 10}}
	if r.Outcome != OutcomeWeighted || r.HTTPRoute != "jupyterhub/alice" || len(r.WeightedClusters) != 2 ||
		r.WeightedClusters[0] != want[0] || r.WeightedClusters[1] != want[1] {
		t.Errorf("want weighted %+v, got %s %+v (%s)", want, r.Outcome, r.WeightedClusters, r.HTTPRoute)
	}
	if len(r.MissingClusters) != 0 {
		t.Errorf("missing clusters %v", r.MissingClusters)
	}
}

func TestGatewayAPIRewriteHeadersAndTimeout(t *testing.T) {
	// A named rule: Istio names the Envoy route after the rule alone.
	out := runGatewayAPICase(t, `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: lab, namespace: jupyterhub}
spec:
  parentRefs: [{name: hub}]
  rules:
  - name: lab
    matches: [{path: {type: PathPrefix, value: /services/lab}}]
    filters:
    - type: URLRewrite
      urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /}}
    - type: ResponseHeaderModifier
      responseHeaderModifier: {set: [{name: x-hub-route, value: lab}]}
    timeouts: {request: 10s}
    backendRefs: [{name: jupyter-alice, port: 8888}]
`, hubRequest("/services/lab/tree?x=1"), hubRequest("/services/lab"), hubRequest("/services/lab/"), hubRequest("/services/labx"))

	// ReplacePrefixMatch replaces the matched segments: /services/lab/tree -> /tree, never //tree.
	expectRoute(t, out.Results[0], "lab", "jupyterhub/lab", aliceCluster, "/tree?x=1")
	expectRoute(t, out.Results[1], "lab", "jupyterhub/lab", aliceCluster, "/")
	expectRoute(t, out.Results[2], "lab", "jupyterhub/lab", aliceCluster, "/")
	if r := out.Results[3]; r.Outcome != OutcomeNoRoute {
		t.Errorf("/services/labx is not under the prefix /services/lab: %+v", r)
	}
	var route struct {
		Route struct {
			Timeout string `json:"timeout"`
		} `json:"route"`
		ResponseHeadersToAdd []struct {
			Header       struct{ Key, Value string } `json:"header"`
			AppendAction string                      `json:"append_action"`
		} `json:"response_headers_to_add"`
	}
	if err := json.Unmarshal(out.Results[0].Route, &route); err != nil {
		t.Fatal(err)
	}
	if route.Route.Timeout != "10s" {
		t.Errorf("timeouts.request 10s: route timeout %q", route.Route.Timeout)
	}
	if len(route.ResponseHeadersToAdd) != 1 || route.ResponseHeadersToAdd[0].Header.Key != "x-hub-route" ||
		route.ResponseHeadersToAdd[0].Header.Value != "lab" || route.ResponseHeadersToAdd[0].AppendAction != "OVERWRITE_IF_EXISTS_OR_ADD" {
		t.Errorf("ResponseHeaderModifier set: %+v", route.ResponseHeadersToAdd)
	}
	expectAccepted(t, out, "lab")
}

func TestGatewayAPIMissingBackendService(t *testing.T) {
	out := runGatewayAPICase(t, `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: carol, namespace: jupyterhub}
spec:
  parentRefs: [{name: hub}]
  rules:
  - matches: [{path: {type: PathPrefix, value: /user/carol}}]
    backendRefs: [{name: jupyter-carol, port: 8888}]
`, hubRequest("/user/carol/lab"))

	if c := routeCondition(t, out, "carol", "ResolvedRefs"); c.Status != "False" || c.Reason != "BackendNotFound" ||
		!strings.Contains(c.Message, "jupyter-carol.jupyterhub.svc.cluster.local") {
		t.Errorf("ResolvedRefs: %+v", c)
	}
	if c := routeCondition(t, out, "carol", "Accepted"); c.Status != "True" {
		t.Errorf("a route with a missing backend is still Accepted: %+v", c)
	}
	r := out.Results[0]
	missing := "outbound|8888||jupyter-carol.jupyterhub.svc.cluster.local"
	if r.Outcome != OutcomeCluster || r.Cluster != missing || len(r.MissingClusters) != 1 || r.MissingClusters[0] != missing ||
		!strings.Contains(r.Detail, "Envoy answers 500") {
		t.Errorf("request to a missing backend: %+v", r)
	}
}

func TestGatewayAPIParentRefsThatDoNotAttach(t *testing.T) {
	out := runGatewayAPICase(t, `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: no-gateway, namespace: jupyterhub}
spec:
  parentRefs: [{name: nowhere}]
  rules:
  - matches: [{path: {type: PathPrefix, value: /user/dave}}]
    backendRefs: [{name: jupyter-alice, port: 8888}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: wrong-section, namespace: jupyterhub}
spec:
  parentRefs: [{name: hub, sectionName: https}]
  rules:
  - matches: [{path: {type: PathPrefix, value: /user/erin}}]
    backendRefs: [{name: jupyter-alice, port: 8888}]
`, hubRequest("/user/dave/"), hubRequest("/user/erin/"))

	// A Gateway that does not exist is no parent of Istio's: its controller reports no status for it.
	if parents := routeParents(t, out, "no-gateway"); len(parents) != 0 {
		t.Errorf("parentRef to a missing Gateway: %+v", parents)
	}
	if c := routeCondition(t, out, "wrong-section", "Accepted"); c.Status != "False" || c.Reason != "NoMatchingParent" ||
		c.Message != `sectionName "https" not found` {
		t.Errorf("wrong sectionName: %+v", c)
	}
	for i, r := range out.Results {
		if r.Outcome != OutcomeNoRoute || r.HTTPRoute != "" {
			t.Errorf("request %d should find no route: %+v", i, r)
		}
	}
}

func TestGatewayAPIRouteHostnamesAgainstTheListener(t *testing.T) {
	out := runGatewayAPICase(t, `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: other-host, namespace: jupyterhub}
spec:
  parentRefs: [{name: hub}]
  hostnames: [other.example.com]
  rules:
  - matches: [{path: {type: PathPrefix, value: /user/frank}}]
    backendRefs: [{name: jupyter-alice, port: 8888}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: hub-host, namespace: jupyterhub}
spec:
  parentRefs: [{name: hub}]
  hostnames: [hub.example.com]
  rules:
  - matches: [{path: {type: PathPrefix, value: /user/grace}}]
    backendRefs: [{name: jupyter-alice, port: 8888}]
`, hubRequest("/user/frank/"), Request{Host: "other.example.com", Path: "/user/frank/"}, hubRequest("/user/grace/"),
		Request{Host: "other.example.com", Path: "/user/grace/"})

	if c := routeCondition(t, out, "other-host", "Accepted"); c.Status != "False" || c.Reason != "NoMatchingListenerHostname" {
		t.Errorf("a hostname outside the listener's: %+v", c)
	}
	expectAccepted(t, out, "hub-host")
	if r := out.Results[0]; r.Outcome != OutcomeNoRoute {
		t.Errorf("other-host's path on the listener's host: %+v", r)
	}
	if r := out.Results[1]; r.Outcome != OutcomeNoRoute || r.VirtualHost != "" {
		t.Errorf("a host the listener does not serve has no virtual host: %+v", r)
	}
	expectRoute(t, out.Results[2], "jupyterhub.hub-host.0", "jupyterhub/hub-host", aliceCluster, "/user/grace/")
	if r := out.Results[3]; r.Outcome != OutcomeNoRoute {
		t.Errorf("hub-host on another host: %+v", r)
	}
}

func TestGatewayAPIAnalyzersSeeTheGatewayWorkload(t *testing.T) {
	// k8sgateway.SelectorAnalyzer finds the Gateway's Pod (labelled with its gateway name) and
	// reports a policy that selects it with a workload selector instead of targetRefs.
	out := runGatewayAPICase(t, `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: gateway-policy, namespace: jupyterhub}
spec:
  selector: {matchLabels: {gateway.networking.k8s.io/gateway-name: hub}}
  rules: [{}]
`)
	if len(out.Messages) != 1 || out.Messages[0].Code != "IST0166" || out.Messages[0].Object != "AuthorizationPolicy jupyterhub/gateway-policy" {
		t.Errorf("want IST0166 for the policy, got %+v", out.Messages)
	}
}

func TestGatewayAPIProgrammedNeedsAnAddress(t *testing.T) {
	// Without the ClusterIP annotation Istio asks for a LoadBalancer Service, whose address stays pending here.
	objects := strings.Replace(gatewayAPIBase, "annotations: {networking.istio.io/service-type: ClusterIP}", "annotations: {}", 1)
	line, _ := json.Marshal(Case{ID: "lb", Objects: objects, GatewayAPI: &GatewayAPISpec{Namespace: "jupyterhub", Name: "hub"}})
	out := runCase(line)
	if out.Error != "" {
		t.Fatal(out.Error)
	}
	var gw struct {
		Conditions []struct{ Type, Status, Reason, Message string }
	}
	if err := json.Unmarshal(objectStatus(t, out, "Gateway", "hub"), &gw); err != nil {
		t.Fatal(err)
	}
	for _, c := range gw.Conditions {
		if c.Type == "Programmed" && (c.Status != "False" || c.Reason != "AddressNotAssigned" || !strings.Contains(c.Message, "address pending")) {
			t.Errorf("Programmed: %+v", c)
		}
	}
}

func TestGatewayAPICaseErrors(t *testing.T) {
	for name, c := range map[string]Case{
		"no such Gateway": {Objects: gatewayAPIBase, GatewayAPI: &GatewayAPISpec{Namespace: "jupyterhub", Name: "nowhere"}},
		"unknown kind": {Objects: "apiVersion: gateway.networking.k8s.io/v1\nkind: Widget\nmetadata: {name: w}\n",
			GatewayAPI: &GatewayAPISpec{Namespace: "jupyterhub", Name: "hub"}},
	} {
		line, _ := json.Marshal(c)
		if out := runCase(line); out.Error == "" || len(out.Results) != 0 {
			t.Errorf("%s: want a case error, got %+v", name, out)
		}
	}
}
