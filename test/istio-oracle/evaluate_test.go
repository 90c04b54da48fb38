package main

import (
	"reflect"
	"testing"

	route "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	hcm "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	matcher "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
)

// ---- builders for hand-made route configurations ----

func prefix(p string) *route.RouteMatch {
	return &route.RouteMatch{PathSpecifier: &route.RouteMatch_Prefix{Prefix: p}}
}

func exact(p string) *route.RouteMatch {
	return &route.RouteMatch{PathSpecifier: &route.RouteMatch_Path{Path: p}}
}

func regex(r string) *route.RouteMatch {
	return &route.RouteMatch{PathSpecifier: &route.RouteMatch_SafeRegex{SafeRegex: &matcher.RegexMatcher{Regex: r}}}
}

func sepPrefix(p string) *route.RouteMatch {
	return &route.RouteMatch{PathSpecifier: &route.RouteMatch_PathSeparatedPrefix{PathSeparatedPrefix: p}}
}

func withHeaders(m *route.RouteMatch, hs ...*route.HeaderMatcher) *route.RouteMatch {
	m.Headers = append(m.Headers, hs...)
	return m
}

func toCluster(name string, c string, m *route.RouteMatch) *route.Route {
	return &route.Route{
		Name:   name,
		Match:  m,
		Action: &route.Route_Route{Route: &route.RouteAction{ClusterSpecifier: &route.RouteAction_Cluster{Cluster: c}}},
	}
}

func withRewrite(r *route.Route, rw string) *route.Route {
	r.GetRoute().PrefixRewrite = rw
	return r
}

func withVS(r *route.Route, ns, name string) *route.Route {
	r.Metadata = &core.Metadata{FilterMetadata: map[string]*structpb.Struct{
		"istio": {Fields: map[string]*structpb.Value{
			"config": structpb.NewStringValue("/apis/networking.istio.io/v1/namespaces/" + ns + "/virtual-service/" + name),
		}},
	}}
	return r
}

func rc(vhs ...*route.VirtualHost) *route.RouteConfiguration {
	return &route.RouteConfiguration{Name: "http.80", VirtualHosts: vhs, IgnorePortInHostMatching: true}
}

func vhost(name string, domains []string, routes ...*route.Route) *route.VirtualHost {
	return &route.VirtualHost{Name: name, Domains: domains, Routes: routes}
}

func strExact(s string) *matcher.StringMatcher {
	return &matcher.StringMatcher{MatchPattern: &matcher.StringMatcher_Exact{Exact: s}}
}

func strRegex(s string) *matcher.StringMatcher {
	return &matcher.StringMatcher{MatchPattern: &matcher.StringMatcher_SafeRegex{SafeRegex: &matcher.RegexMatcher{Regex: s}}}
}

func hdr(name string, sm *matcher.StringMatcher, invert bool) *route.HeaderMatcher {
	return &route.HeaderMatcher{Name: name, InvertMatch: invert, HeaderMatchSpecifier: &route.HeaderMatcher_StringMatch{StringMatch: sm}}
}

func get(host, path string) EvalRequest { return EvalRequest{Host: host, Path: path} }

func eval(t *testing.T, c *route.RouteConfiguration, req EvalRequest) Evaluation {
	t.Helper()
	return Evaluate(c, req, ConnManagerOptions{})
}

// ---- tests ----

func TestPathSpecifiersAndQueries(t *testing.T) {
	c := rc(vhost("*:80", []string{"*"},
		toCluster("exact", "c-exact", exact("/hub/api")),
		toCluster("regex", "c-regex", regex(`/user/[a-z]+/lab`)),
		toCluster("query-prefix", "c-qp", prefix("/search?q=")),
		toCluster("sep", "c-sep", sepPrefix("/sep")),
		toCluster("prefix", "c-prefix", prefix("/user/")),
		toCluster("root", "c-root", prefix("/")),
	))
	cases := []struct {
		path, route string
	}{
		{"/hub/api", "exact"},
		{"/hub/api?x=1", "exact"},    // exact ignores the query
		{"/hub/api/", "root"},        // but not a trailing slash
		{"/HUB/api", "root"},         // case-sensitive by default
		{"/user/alice/lab", "regex"}, // full match
		{"/user/alice/lab?tab=1", "regex"},
		{"/user/alice/lab/tree", "prefix"},  // regex is a full match, not a partial one
		{"/xx/user/alice/lab", "root"},      // ... anchored at the start too
		{"/search?q=istio", "query-prefix"}, // prefixes see the query string
		{"/search", "root"},
		{"/sep", "sep"},
		{"/sep/", "sep"},
		{"/sep/x?y", "sep"},
		{"/sep?x", "sep"},
		{"/separate", "root"},
		{"/user/bob", "prefix"},
	}
	for _, tc := range cases {
		ev := eval(t, c, get("hub.example.com", tc.path))
		if ev.RouteName != tc.route {
			t.Errorf("%s: got route %q (%s), want %q", tc.path, ev.RouteName, ev.Detail, tc.route)
		}
	}
}

func TestCaseInsensitive(t *testing.T) {
	m := prefix("/User/")
	m.CaseSensitive = wrapperspb.Bool(false)
	e := exact("/Hub")
	e.CaseSensitive = wrapperspb.Bool(false)
	c := rc(vhost("v", []string{"*"}, toCluster("ci", "a", m), toCluster("ce", "b", e)))
	if ev := eval(t, c, get("h", "/user/x")); ev.RouteName != "ci" {
		t.Errorf("got %q", ev.RouteName)
	}
	if ev := eval(t, c, get("h", "/hUB")); ev.RouteName != "ce" {
		t.Errorf("got %q", ev.RouteName)
	}
}

func TestFirstMatchWins(t *testing.T) {
	// An earlier, shorter prefix shadows a later, longer one (no longest-prefix match).
	c := rc(vhost("v", []string{"*"},
		withVS(toCluster("older", "outbound|8888||alice", prefix("/user/alice/")), "jh", "older"),
		withVS(toCluster("newer", "outbound|8888||alice2", prefix("/user/alice/lab2/")), "jh", "newer"),
	))
	ev := eval(t, c, get("h", "/user/alice/lab2/x"))
	if ev.RouteName != "older" || ev.Cluster != "outbound|8888||alice" || ev.VirtualService != "jh/older" {
		t.Errorf("got %+v", ev)
	}
}

func TestHeaderMatchers(t *testing.T) {
	c := rc(vhost("v", []string{"*"},
		toCluster("cookie-regex", "preview", withHeaders(prefix("/"), hdr("cookie", strRegex(`.*hubmesh-preview=demo.*`), false))),
		toCluster("exact", "exact", withHeaders(prefix("/"), hdr("x-hubmesh-preview", strExact("demo"), false))),
		toCluster("not-beta", "stable", withHeaders(prefix("/api/"), hdr("x-beta", strExact("1"), true))),
		toCluster("fallback", "fallback", prefix("/")),
	))
	cases := []struct {
		name    string
		path    string
		headers map[string][]string
		want    string
	}{
		{"regex cookie", "/", map[string][]string{"cookie": {"a=b; hubmesh-preview=demo"}}, "cookie-regex"},
		{"regex is full match", "/", map[string][]string{"cookie": {"hubmesh-preview=demox"}}, "cookie-regex"},
		{"exact header", "/", map[string][]string{"x-hubmesh-preview": {"demo"}}, "exact"},
		{"exact header mismatch", "/", map[string][]string{"x-hubmesh-preview": {"demo2"}}, "fallback"},
		{"multiple values joined with comma", "/", map[string][]string{"x-hubmesh-preview": {"demo", "demo"}}, "fallback"},
		{"invert: header absent does not match", "/api/x", nil, "fallback"},
		{"invert: other value matches", "/api/x", map[string][]string{"x-beta": {"0"}}, "not-beta"},
		{"invert: same value does not match", "/api/x", map[string][]string{"x-beta": {"1"}}, "fallback"},
	}
	for _, tc := range cases {
		ev := eval(t, c, EvalRequest{Host: "h", Path: tc.path, Headers: tc.headers})
		if ev.RouteName != tc.want {
			t.Errorf("%s: got %q want %q (%s)", tc.name, ev.RouteName, tc.want, ev.Detail)
		}
	}
}

func TestHeaderPresenceAndMissingAsEmpty(t *testing.T) {
	present := &route.HeaderMatcher{Name: "x-a", HeaderMatchSpecifier: &route.HeaderMatcher_PresentMatch{PresentMatch: true}}
	absent := &route.HeaderMatcher{Name: "x-b", HeaderMatchSpecifier: &route.HeaderMatcher_PresentMatch{PresentMatch: false}}
	invPresent := &route.HeaderMatcher{Name: "x-c", InvertMatch: true, HeaderMatchSpecifier: &route.HeaderMatcher_PresentMatch{PresentMatch: true}}
	empty := &route.HeaderMatcher{Name: "x-d", TreatMissingHeaderAsEmpty: true, HeaderMatchSpecifier: &route.HeaderMatcher_StringMatch{StringMatch: strExact("")}}
	req := func(h map[string][]string) EvalRequest { return EvalRequest{Path: "/", Headers: h} }
	cases := []struct {
		m    *route.HeaderMatcher
		h    map[string][]string
		want bool
	}{
		{present, nil, false},
		{present, map[string][]string{"x-a": {""}}, true},
		{absent, nil, true},
		{absent, map[string][]string{"x-b": {"v"}}, false},
		{invPresent, nil, true},
		{invPresent, map[string][]string{"x-c": {"v"}}, false},
		{empty, nil, true},
		{empty, map[string][]string{"x-d": {"v"}}, false},
	}
	for i, tc := range cases {
		got, err := headerMatches(tc.m, req(tc.h))
		if err != nil || got != tc.want {
			t.Errorf("case %d (%s): got %v, %v want %v", i, tc.m.GetName(), got, err, tc.want)
		}
	}
}

func TestQueryParameters(t *testing.T) {
	m := prefix("/")
	m.QueryParameters = []*route.QueryParameterMatcher{{
		Name: "tab", QueryParameterMatchSpecifier: &route.QueryParameterMatcher_StringMatch{StringMatch: strExact("a b")},
	}}
	c := rc(vhost("v", []string{"*"}, toCluster("q", "q", m), toCluster("f", "f", prefix("/"))))
	if ev := eval(t, c, get("h", "/x?tab=a%20b")); ev.RouteName != "q" {
		t.Errorf("got %q", ev.RouteName)
	}
	if ev := eval(t, c, get("h", "/x?tab=c")); ev.RouteName != "f" {
		t.Errorf("got %q", ev.RouteName)
	}
}

func TestVirtualHostSelection(t *testing.T) {
	c := rc(
		vhost("default", []string{"*"}, toCluster("default", "d", prefix("/"))),
		vhost("exact", []string{"hub.example.com"}, toCluster("exact", "e", prefix("/"))),
		vhost("suffix-short", []string{"*.com"}, toCluster("suffix-short", "s1", prefix("/"))),
		vhost("suffix-long", []string{"*.example.com"}, toCluster("suffix-long", "s2", prefix("/"))),
		vhost("prefix", []string{"hub.*"}, toCluster("prefix", "p", prefix("/"))),
	)
	cases := map[string]string{
		"hub.example.com":     "exact",
		"HUB.Example.COM":     "exact", // case-insensitive
		"hub.example.com:80":  "exact", // ignore_port_in_host_matching
		"foo.example.com":     "suffix-long",
		"foo.other.com":       "suffix-short",
		"hub.example.org":     "prefix",
		"other.org":           "default",
		".example.com":        "suffix-short", // the wildcard must match at least one character
		"lab.hub.example.com": "suffix-long",
	}
	for host, want := range cases {
		if ev := eval(t, c, get(host, "/")); ev.VirtualHost != want {
			t.Errorf("host %q: got vhost %q want %q", host, ev.VirtualHost, want)
		}
	}
	// without ignore_port_in_host_matching the port is part of the host
	c.IgnorePortInHostMatching = false
	if ev := eval(t, c, get("hub.example.com:80", "/")); ev.VirtualHost != "prefix" {
		t.Errorf("port kept: got %q", ev.VirtualHost)
	}
	// no vhost at all
	noDefault := rc(vhost("exact", []string{"a"}, toCluster("x", "x", prefix("/"))))
	if ev := eval(t, noDefault, get("b", "/")); ev.Outcome != OutcomeNoRoute || ev.VirtualHost != "" {
		t.Errorf("got %+v", ev)
	}
}

func TestWeightedAndOtherActions(t *testing.T) {
	weighted := &route.Route{Name: "w", Match: prefix("/w"), Action: &route.Route_Route{Route: &route.RouteAction{
		ClusterSpecifier: &route.RouteAction_WeightedClusters{WeightedClusters: &route.WeightedCluster{Clusters: []*route.WeightedCluster_ClusterWeight{
			{Name: "a", Weight: wrapperspb.UInt32(90)}, {Name: "b", Weight: wrapperspb.UInt32(10)},
		}}},
	}}}
	direct := &route.Route{Name: "d", Match: prefix("/d"), Action: &route.Route_DirectResponse{DirectResponse: &route.DirectResponseAction{Status: 404}}}
	redirect := &route.Route{Name: "r", Match: prefix("/r"), Action: &route.Route_Redirect{Redirect: &route.RedirectAction{}}}
	header := &route.Route{Name: "h", Match: prefix("/h"), Action: &route.Route_Route{Route: &route.RouteAction{
		ClusterSpecifier: &route.RouteAction_ClusterHeader{ClusterHeader: "x-cluster"},
	}}}
	c := rc(vhost("v", []string{"*"}, weighted, direct, redirect, header))

	ev := eval(t, c, get("h", "/w"))
	want := []WeightedCluster{{"a", 90}, {"b", 10}}
	if ev.Outcome != OutcomeWeighted || !reflect.DeepEqual(ev.WeightedClusters, want) || ev.Cluster != "" {
		t.Errorf("weighted: %+v", ev)
	}
	if ev := eval(t, c, get("h", "/d")); ev.Outcome != OutcomeDirect || ev.DirectStatus != 404 {
		t.Errorf("direct: %+v", ev)
	}
	if ev := eval(t, c, get("h", "/r")); ev.Outcome != OutcomeRedirect || ev.DirectStatus != 301 {
		t.Errorf("redirect: %+v", ev)
	}
	if ev := eval(t, c, get("h", "/h")); ev.Outcome != OutcomeError || ev.Detail == "" {
		t.Errorf("cluster_header: %+v", ev)
	}
	if ev := eval(t, c, get("h", "/zzz")); ev.Outcome != OutcomeNoRoute {
		t.Errorf("no route: %+v", ev)
	}
}

func TestPrefixRewrite(t *testing.T) {
	c := rc(vhost("v", []string{"*"},
		withRewrite(toCluster("exact", "e", exact("/hub")), "/hub/"),
		withRewrite(toCluster("prefix", "p", prefix("/user/alice/")), "/"),
		withRewrite(toCluster("regex", "r", regex(`/lab/[0-9]+`)), "/lab"),
		toCluster("plain", "x", prefix("/")),
	))
	cases := map[string]string{
		"/hub":                    "/hub/",
		"/hub?next=%2F":           "/hub/?next=%2F",
		"/user/alice/lab?x=1":     "/lab?x=1",
		"/user/alice/":            "/",
		"/lab/42?tab=1":           "/lab?tab=1",
		"/untouched/path?q=a&b=c": "/untouched/path?q=a&b=c",
	}
	for in, want := range cases {
		if ev := eval(t, c, get("h", in)); ev.Path != want {
			t.Errorf("%s: got path %q want %q (route %s)", in, ev.Path, want, ev.RouteName)
		}
	}
}

func TestRegexRewrite(t *testing.T) {
	r := toCluster("rr", "c", prefix("/user/"))
	r.GetRoute().RegexRewrite = &matcher.RegexMatchAndSubstitute{
		Pattern:      &matcher.RegexMatcher{Regex: `^/user/([^/]+)/(.*)$`},
		Substitution: `/\2/by/\1`,
	}
	c := rc(vhost("v", []string{"*"}, r))
	if ev := eval(t, c, get("h", "/user/alice/lab?x=1")); ev.Path != "/lab/by/alice?x=1" {
		t.Errorf("got %q", ev.Path)
	}
}

func TestPathNormalisation(t *testing.T) {
	c := rc(vhost("v", []string{"*"},
		toCluster("alice", "a", prefix("/user/alice/")),
		toCluster("root", "r", prefix("/")),
	))
	opts := ConnManagerOptions{NormalizePath: true}
	cases := map[string]struct{ route, path string }{
		"/user/bob/../alice/x":  {"alice", "/user/alice/x"},
		"/user/./alice/x?q=../": {"alice", "/user/alice/x?q=../"},
		"/user/%61lice/x":       {"alice", "/user/alice/x"},
		"/user/alice/%2E%2E/x":  {"root", "/user/x"},
		"/user\\alice\\x":       {"alice", "/user/alice/x"},
		"/user//alice/x":        {"root", "/user//alice/x"},
		"/user/alice%2Fx":       {"root", "/user/alice%2Fx"},
	}
	for in, want := range cases {
		ev := Evaluate(c, get("h", in), opts)
		if ev.RouteName != want.route || ev.Path != want.path {
			t.Errorf("%s: got %q %q want %q %q", in, ev.RouteName, ev.Path, want.route, want.path)
		}
	}
	opts.MergeSlashes = true
	if ev := Evaluate(c, get("h", "/user//alice/x"), opts); ev.RouteName != "alice" {
		t.Errorf("merge_slashes: got %q", ev.RouteName)
	}
	opts.EscapedSlashesAction = hcm.HttpConnectionManager_UNESCAPE_AND_FORWARD
	if ev := Evaluate(c, get("h", "/user%2Falice/x"), opts); ev.RouteName != "alice" || ev.Path != "/user/alice/x" {
		t.Errorf("unescape: got %q %q", ev.RouteName, ev.Path)
	}
	opts.EscapedSlashesAction = hcm.HttpConnectionManager_REJECT_REQUEST
	if ev := Evaluate(c, get("h", "/user%2Falice/x"), opts); ev.Outcome != OutcomeDirect || ev.DirectStatus != 400 {
		t.Errorf("reject: got %+v", ev)
	}
}

func TestParseConfigPath(t *testing.T) {
	got := parseConfigPath("/apis/networking.istio.io/v1/namespaces/jupyterhub/virtual-service/hubmesh-user-alice-1234567890")
	if got != "jupyterhub/hubmesh-user-alice-1234567890" {
		t.Errorf("got %q", got)
	}
	if parseConfigPath("") != "" {
		t.Error("empty")
	}
}

func TestEnvoySubstitution(t *testing.T) {
	if got := envoySubstitutionToGo(`/a/\1/$x\\`); got != `/a/${1}/$$x\` {
		t.Errorf("got %q", got)
	}
}

func TestCheckRouteConfigRejectsBadRegex(t *testing.T) {
	good := rc(vhost("v", []string{"*"}, toCluster("ok", "c", regex(`/user/[a-z]+`))))
	if err := CheckRouteConfig(good); err != nil {
		t.Errorf("unexpected: %v", err)
	}
	bad := rc(vhost("v", []string{"*"},
		toCluster("ok", "c", prefix("/")),
		toCluster("bad", "c", withHeaders(prefix("/x"), hdr("cookie", strRegex(`(unclosed`), false))),
	))
	if err := CheckRouteConfig(bad); err == nil {
		t.Error("expected the configuration to be rejected")
	}
}
