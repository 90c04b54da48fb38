package main

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	route "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"
)

// A gateway whose Istio resilience settings (retries, timeout, fault injection,
// DestinationRule connection pool and outlier detection) and EnvoyFilter patches
// (an HTTP filter inserted before the router, a per-route config merged into one
// named route) must show in the generated Envoy config.
const resilienceObjects = `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: hub-gateway, namespace: jupyterhub}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*"]
---
apiVersion: v1
kind: Service
metadata: {name: hub, namespace: jupyterhub}
spec:
  selector: {app: hub}
  ports: [{name: http, port: 8081}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: hub, namespace: jupyterhub}
spec:
  hosts: ["*"]
  gateways: [jupyterhub/hub-gateway]
  http:
  - name: route
    match: [{name: m1, uri: {prefix: /hub/}}]
    retries: {attempts: 3, perTryTimeout: 2s, retryOn: "connect-failure,refused-stream,unavailable,reset"}
    timeout: 30s
    fault: {abort: {percentage: {value: 50}, httpStatus: 503}}
    route: [{destination: {host: hub.jupyterhub.svc.cluster.local, port: {number: 8081}}}]
  - name: other
    route: [{destination: {host: hub.jupyterhub.svc.cluster.local, port: {number: 8081}}}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: hub, namespace: jupyterhub}
spec:
  host: hub.jupyterhub.svc.cluster.local
  trafficPolicy:
    connectionPool:
      tcp: {maxConnections: 100}
      http: {http1MaxPendingRequests: 50, http2MaxRequests: 200, maxRetries: 3}
    outlierDetection: {consecutive5xxErrors: 5, interval: 10s, baseEjectionTime: 30s, maxEjectionPercent: 50}
---
apiVersion: networking.istio.io/v1alpha3
kind: EnvoyFilter
metadata: {name: hub-ratelimit, namespace: istio-system}
spec:
  workloadSelector: {labels: {istio: ingressgateway}}
  configPatches:
  - applyTo: HTTP_FILTER
    match:
      context: GATEWAY
      listener:
        filterChain:
          filter:
            name: envoy.filters.network.http_connection_manager
            subFilter: {name: envoy.filters.http.router}
    patch:
      operation: INSERT_BEFORE
      value:
        name: envoy.filters.http.local_ratelimit
        typed_config:
          "@type": type.googleapis.com/udpa.type.v1.TypedStruct
          type_url: type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit
          value: {stat_prefix: http_local_rate_limiter}
  - applyTo: HTTP_ROUTE
    match:
      context: GATEWAY
      routeConfiguration:
        vhost:
          route: {name: route.m1}
    patch:
      operation: MERGE
      value:
        typed_per_filter_config:
          envoy.filters.http.local_ratelimit:
            "@type": type.googleapis.com/udpa.type.v1.TypedStruct
            type_url: type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit
            value:
              stat_prefix: http_local_rate_limiter
              token_bucket: {max_tokens: 10, tokens_per_fill: 10, fill_interval: 60s}
              filter_enabled:
                runtime_key: local_rate_limit_enabled
                default_value: {numerator: 100, denominator: HUNDRED}
              filter_enforced:
                runtime_key: local_rate_limit_enforced
                default_value: {numerator: 100, denominator: HUNDRED}
`

const hubCluster = "outbound|8081||hub.jupyterhub.svc.cluster.local"

func runResilienceCase(t *testing.T) Output {
	t.Helper()
	c := Case{ID: "resilience", Objects: resilienceObjects, Requests: []Request{
		{Host: "hub.example.com", Path: "/hub/home"},
		{Host: "hub.example.com", Path: "/elsewhere"},
	}, Clusters: []string{hubCluster, "outbound|1||nope.jupyterhub.svc.cluster.local"}, ListenerPorts: []int{80, 8443}, RouteTable: true}
	line, _ := json.Marshal(c)
	out := runCase(line)
	if out.Error != "" {
		t.Fatalf("error: %s", out.Error)
	}
	return out
}

// dig walks decoded JSON: a string step is an object key, an int step an array index.
func dig(t *testing.T, v any, path ...any) any {
	t.Helper()
	cur := v
	for _, step := range path {
		switch k := step.(type) {
		case string:
			m, ok := cur.(map[string]any)
			if !ok {
				t.Fatalf("at %v: %q: not an object: %v", path, k, cur)
			}
			cur, ok = m[k]
			if !ok {
				t.Fatalf("at %v: no key %q in %v", path, k, m)
			}
		case int:
			a, ok := cur.([]any)
			if !ok || k >= len(a) {
				t.Fatalf("at %v: [%d]: not an array that long: %v", path, k, cur)
			}
			cur = a[k]
		}
	}
	return cur
}

func decode(t *testing.T, raw json.RawMessage) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("%v: %s", err, raw)
	}
	return v
}

func want(t *testing.T, what string, got, expected any) {
	t.Helper()
	if !reflect.DeepEqual(got, expected) {
		t.Errorf("%s: got %#v, want %#v", what, got, expected)
	}
}

func TestResilienceSettingsReachEnvoyConfig(t *testing.T) {
	out := runResilienceCase(t)
	for _, m := range out.Messages {
		if m.Level == "Error" {
			t.Errorf("unexpected error message: %+v", m)
		}
	}
	if len(out.Results) != 2 {
		t.Fatalf("results: %+v", out.Results)
	}

	// The named match: route "<http name>.<match name>".
	r := out.Results[0]
	if r.RouteName != "route.m1" || r.Outcome != OutcomeCluster || r.Cluster != hubCluster || !r.Simulation.Agrees {
		t.Errorf("first request: %+v", r)
	}
	rt := decode(t, r.Route)
	want(t, "route name", dig(t, rt, "name"), "route.m1")
	want(t, "timeout", dig(t, rt, "route", "timeout"), "30s")
	want(t, "retry_on", dig(t, rt, "route", "retry_policy", "retry_on"), "connect-failure,refused-stream,unavailable,reset")
	want(t, "num_retries", dig(t, rt, "route", "retry_policy", "num_retries"), 3.0)
	want(t, "per_try_timeout", dig(t, rt, "route", "retry_policy", "per_try_timeout"), "2s")
	fault := dig(t, rt, "typed_per_filter_config", "envoy.filters.http.fault")
	want(t, "fault @type", dig(t, fault, "@type"), "type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault")
	want(t, "fault abort", dig(t, fault, "abort"), map[string]any{
		"http_status": 503.0,
		"percentage":  map[string]any{"numerator": 500000.0, "denominator": "MILLION"},
	})
	// Istio merges the EnvoyFilter's TypedStruct as it is: no conversion to LocalRateLimit.
	rl := dig(t, rt, "typed_per_filter_config", "envoy.filters.http.local_ratelimit")
	want(t, "local_ratelimit @type", dig(t, rl, "@type"), "type.googleapis.com/udpa.type.v1.TypedStruct")
	want(t, "local_ratelimit type_url", dig(t, rl, "type_url"), "type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit")
	want(t, "token_bucket", dig(t, rl, "value", "token_bucket"), map[string]any{"max_tokens": 10.0, "tokens_per_fill": 10.0, "fill_interval": "60s"})
	want(t, "filter_enforced", dig(t, rl, "value", "filter_enforced", "default_value"), map[string]any{"numerator": 100.0, "denominator": "HUNDRED"})

	// The other rule: Istio's default retries, no timeout, no per-filter config.
	r = out.Results[1]
	if r.RouteName != "other" || r.Outcome != OutcomeCluster {
		t.Errorf("second request: %+v", r)
	}
	other := decode(t, r.Route).(map[string]any)
	if _, ok := other["typed_per_filter_config"]; ok {
		t.Errorf("route other has typed_per_filter_config: %s", r.Route)
	}
	want(t, "other timeout", dig(t, other, "route", "timeout"), "0s")

	// The EnvoyFilter touched route.m1 and nothing else.
	if out.RouteTable == nil {
		t.Fatal("no routeTable")
	}
	want(t, "routeTable", *out.RouteTable, []RouteTableEntry{
		{RouteConfig: "http.80", VirtualHost: "*:80", Name: "route.m1", PerFilterConfig: []string{"envoy.filters.http.fault", "envoy.filters.http.local_ratelimit"}},
		{RouteConfig: "http.80", VirtualHost: "*:80", Name: "other", PerFilterConfig: []string{}},
	})

	// HTTP_FILTER INSERT_BEFORE the router.
	filters := out.HTTPFilters["80"]
	rlAt, routerAt := slices.Index(filters, "envoy.filters.http.local_ratelimit"), slices.Index(filters, "envoy.filters.http.router")
	if rlAt < 0 || routerAt != rlAt+1 || routerAt != len(filters)-1 {
		t.Errorf("port 80 HTTP filters: %v", filters)
	}
	if f, ok := out.HTTPFilters["8443"]; !ok || f == nil || len(f) != 0 {
		t.Errorf("port 8443 (no listener) should be [], got %#v", out.HTTPFilters)
	}

	// DestinationRule connection pool and outlier detection on the cluster.
	if out.Clusters["outbound|1||nope.jupyterhub.svc.cluster.local"] != nil {
		t.Errorf("a cluster that was not generated should be null: %s", out.Clusters["outbound|1||nope.jupyterhub.svc.cluster.local"])
	}
	cl := decode(t, out.Clusters[hubCluster])
	want(t, "cluster name", dig(t, cl, "name"), hubCluster)
	want(t, "circuit_breakers", dig(t, cl, "circuit_breakers", "thresholds", 0), map[string]any{
		"max_connections": 100.0, "max_pending_requests": 50.0, "max_requests": 200.0, "max_retries": 3.0,
	})
	od := dig(t, cl, "outlier_detection")
	want(t, "consecutive_5xx", dig(t, od, "consecutive_5xx"), 5.0)
	want(t, "interval", dig(t, od, "interval"), "10s")
	want(t, "base_ejection_time", dig(t, od, "base_ejection_time"), "30s")
	want(t, "max_ejection_percent", dig(t, od, "max_ejection_percent"), 50.0)

	// The wire form: the new keys are present only because the case asked for them.
	b, _ := json.Marshal(out)
	for _, k := range []string{`"route":{`, `"clusters":{`, `"httpFilters":{"80":[`, `"routeTable":[`} {
		if !strings.Contains(string(b), k) {
			t.Errorf("output lacks %s", k)
		}
	}
}

func TestNewKeysOmittedWhenNotAsked(t *testing.T) {
	c := Case{ID: "plain", Objects: resilienceObjects, Requests: []Request{{Host: "h", Path: "/nothing-here", Port: 8080}}}
	line, _ := json.Marshal(c)
	out := runCase(line)
	b, _ := json.Marshal(out)
	for _, k := range []string{`"route"`, `"clusters"`, `"httpFilters"`, `"routeTable"`} {
		if strings.Contains(string(b), k) {
			t.Errorf("output has %s although not asked / no route matched: %s", k, b)
		}
	}
}

func TestProtoJSONUnknownAny(t *testing.T) {
	r := &route.Route{
		Name: "x",
		TypedPerFilterConfig: map[string]*anypb.Any{
			"known":   {TypeUrl: "type.googleapis.com/google.protobuf.StringValue", Value: []byte{10, 2, 'h', 'i'}},
			"unknown": {TypeUrl: "type.googleapis.com/no.such.Type", Value: []byte{8, 1}},
		},
	}
	js, problem := protoJSON(r)
	if !strings.Contains(problem, "no.such.Type") {
		t.Errorf("problem: %q", problem)
	}
	v := decode(t, js)
	want(t, "unknown Any", dig(t, v, "typed_per_filter_config", "unknown"), map[string]any{"@type": "type.googleapis.com/no.such.Type"})
	want(t, "known Any", dig(t, v, "typed_per_filter_config", "known"), map[string]any{"@type": "type.googleapis.com/google.protobuf.StringValue", "value": "hi"})

	js, problem = protoJSON(&route.Route{Name: "y", Action: &route.Route_Route{Route: &route.RouteAction{Timeout: durationpb.New(1500 * time.Millisecond)}}})
	want(t, "plain route", string(js), `{"name":"y","route":{"timeout":"1.500s"}}`)
	want(t, "no problem", problem, "")
}
