package main

// Envoy route evaluation on a generated RouteConfiguration.
//
// Istio's own simulator (pilot/pkg/simulation) only matches on the path, does not
// normalise the path, matches regexes partially and ignores headers, query
// parameters and weighted clusters. This file implements Envoy's documented
// routing semantics for the subset of the RouteConfiguration API that Istio
// generates for gateways:
//
//   - HTTP connection manager path handling (path_with_escaped_slashes_action,
//     normalize_path, merge_slashes) and host port stripping;
//   - virtual host selection (exact, suffix wildcard, prefix wildcard, "*");
//   - first-match route selection with prefix / path / safe_regex /
//     path_separated_prefix, case_sensitive, header and query parameter matchers;
//   - actions (cluster, weighted clusters, direct response, redirect) and the
//     upstream path after prefix_rewrite / regex_rewrite.

import (
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	route "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	hcm "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	matcher "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
)

// Outcomes reported for a request.
const (
	OutcomeCluster  = "cluster"
	OutcomeWeighted = "weighted"
	OutcomeDirect   = "direct"
	OutcomeRedirect = "redirect"
	OutcomeNoRoute  = "no-route"
	// OutcomeError is used for route actions this evaluator cannot resolve to a
	// destination (cluster_header, cluster_specifier_plugin, filter_action, ...).
	OutcomeError = "error"
)

// ConnManagerOptions are the HTTP connection manager settings that influence routing.
type ConnManagerOptions struct {
	NormalizePath         bool
	MergeSlashes          bool
	EscapedSlashesAction  hcm.HttpConnectionManager_PathWithEscapedSlashesAction
	StripAnyHostPort      bool
	StripMatchingHostPort bool
	ListenerPort          int

	// SimulatorQuirks makes Evaluate reproduce the simplifications of Istio's
	// pilot/pkg/simulation (no path normalisation, header and query matchers
	// ignored, case_sensitive ignored, exact paths compared with the query
	// string, regexes matched partially against the path with query, domains
	// compared case-sensitively). It is only used to explain disagreements
	// between this evaluator and Istio's simulator.
	SimulatorQuirks bool
}

// ConnManagerOptionsFrom extracts the routing-relevant settings of an HCM.
func ConnManagerOptionsFrom(h *hcm.HttpConnectionManager, listenerPort int) ConnManagerOptions {
	if h == nil {
		return ConnManagerOptions{ListenerPort: listenerPort}
	}
	return ConnManagerOptions{
		NormalizePath:         h.GetNormalizePath().GetValue(),
		MergeSlashes:          h.GetMergeSlashes(),
		EscapedSlashesAction:  h.GetPathWithEscapedSlashesAction(),
		StripAnyHostPort:      h.GetStripAnyHostPort(),
		StripMatchingHostPort: h.GetStripMatchingHostPort(),
		ListenerPort:          listenerPort,
	}
}

// EvalRequest is one HTTP request as it reaches the connection manager.
type EvalRequest struct {
	Host   string
	Path   string // :path, including the query string
	Method string
	Scheme string
	// Headers by lower-case name; multiple values are joined with "," as Envoy does.
	Headers map[string][]string
}

// WeightedCluster is one entry of a weighted_clusters action.
type WeightedCluster struct {
	Name   string `json:"name"`
	Weight uint32 `json:"weight"`
}

// Evaluation is the result of routing one request.
type Evaluation struct {
	VirtualHost      string
	Route            *route.Route
	RouteName        string
	VirtualService   string
	Outcome          string
	Cluster          string
	WeightedClusters []WeightedCluster
	DirectStatus     int
	// Path is the :path sent upstream (after normalisation and rewrites), with query.
	Path   string
	Detail string
}

// Evaluate routes req through rc as Envoy would.
func Evaluate(rc *route.RouteConfiguration, req EvalRequest, opts ConnManagerOptions) Evaluation {
	ev := Evaluation{Outcome: OutcomeNoRoute}
	if req.Method == "" {
		req.Method = "GET"
	}
	if req.Scheme == "" {
		req.Scheme = "http"
	}
	if req.Path == "" {
		req.Path = "/"
	}

	if opts.SimulatorQuirks {
		return evaluateLikeSimulator(rc, req)
	}

	// 1. Connection manager path handling.
	path, status, detail := normalizeRequestPath(req.Path, opts)
	ev.Path = path
	if status != 0 {
		if status >= 300 && status < 400 {
			ev.Outcome = OutcomeRedirect
		} else {
			ev.Outcome = OutcomeDirect
		}
		ev.DirectStatus = status
		ev.Detail = detail
		return ev
	}
	req.Path = path

	// 2. Host normalisation (HCM) and virtual host selection.
	host := strings.ToLower(req.Host)
	if opts.StripAnyHostPort {
		host = stripPort(host)
	} else if opts.StripMatchingHostPort && opts.ListenerPort != 0 {
		if h, p, ok := splitHostPort(host); ok && p == strconv.Itoa(opts.ListenerPort) {
			host = h
		}
	}
	if rc == nil {
		ev.Detail = "no route configuration"
		return ev
	}
	vh := selectVirtualHost(rc, host)
	if vh == nil {
		ev.Detail = fmt.Sprintf("no virtual host matches host %q", host)
		return ev
	}
	ev.VirtualHost = vh.GetName()

	// 3. First matching route.
	var matched *route.Route
	var matchErr error
	for _, r := range vh.GetRoutes() {
		ok, err := routeMatches(r.GetMatch(), req)
		if err != nil {
			matchErr = err
			continue
		}
		if ok {
			matched = r
			break
		}
	}
	if matched == nil {
		ev.Detail = "no route matched"
		if matchErr != nil {
			ev.Detail += fmt.Sprintf(" (a route was skipped: %v)", matchErr)
		}
		return ev
	}
	applyAction(&ev, matched, req.Path)
	return ev
}

// applyAction fills the outcome, destination and upstream path of a matched route.
func applyAction(ev *Evaluation, matched *route.Route, path string) {
	ev.Route = matched
	ev.RouteName = matched.GetName()
	ev.VirtualService = virtualServiceOf(matched)

	switch a := matched.GetAction().(type) {
	case *route.Route_Route:
		ra := a.Route
		switch cs := ra.GetClusterSpecifier().(type) {
		case *route.RouteAction_Cluster:
			ev.Outcome = OutcomeCluster
			ev.Cluster = cs.Cluster
		case *route.RouteAction_WeightedClusters:
			ev.Outcome = OutcomeWeighted
			for _, c := range cs.WeightedClusters.GetClusters() {
				ev.WeightedClusters = append(ev.WeightedClusters, WeightedCluster{Name: c.GetName(), Weight: c.GetWeight().GetValue()})
			}
		case *route.RouteAction_ClusterHeader:
			ev.Outcome = OutcomeError
			ev.Detail = fmt.Sprintf("cluster_header %q: the cluster is chosen by a request header at runtime", cs.ClusterHeader)
		default:
			ev.Outcome = OutcomeError
			ev.Detail = fmt.Sprintf("unsupported cluster specifier %T", cs)
		}
		newPath, err := rewritePath(matched.GetMatch(), ra, path)
		if err != nil {
			ev.Detail = strings.TrimPrefix(ev.Detail+"; ", "; ") + err.Error()
		} else {
			ev.Path = newPath
		}
	case *route.Route_DirectResponse:
		ev.Outcome = OutcomeDirect
		ev.DirectStatus = int(a.DirectResponse.GetStatus())
	case *route.Route_Redirect:
		ev.Outcome = OutcomeRedirect
		code := 301
		switch a.Redirect.GetResponseCode() {
		case route.RedirectAction_FOUND:
			code = 302
		case route.RedirectAction_SEE_OTHER:
			code = 303
		case route.RedirectAction_TEMPORARY_REDIRECT:
			code = 307
		case route.RedirectAction_PERMANENT_REDIRECT:
			code = 308
		}
		ev.DirectStatus = code
	default:
		ev.Outcome = OutcomeError
		ev.Detail = fmt.Sprintf("unsupported route action %T", a)
	}
}

// evaluateLikeSimulator mirrors pilot/pkg/simulation's matchVirtualHost/matchRoute.
func evaluateLikeSimulator(rc *route.RouteConfiguration, req EvalRequest) Evaluation {
	ev := Evaluation{Outcome: OutcomeNoRoute, Path: req.Path}
	host := req.Host
	if rc.GetIgnorePortInHostMatching() {
		host = stripPort(host)
	}
	var vh *route.VirtualHost
	for _, v := range rc.GetVirtualHosts() {
		for _, d := range v.GetDomains() {
			if d == host {
				vh = v
				break
			}
		}
		if vh != nil {
			break
		}
	}
	if vh == nil {
		longest := 0
		for _, v := range rc.GetVirtualHosts() {
			for _, d := range v.GetDomains() {
				if d != "" && d[0] == '*' && len(host) >= len(d) && strings.HasSuffix(host, d[1:]) && len(d) > longest {
					vh, longest = v, len(d)
				}
			}
		}
	}
	if vh == nil {
		longest := 0
		for _, v := range rc.GetVirtualHosts() {
			for _, d := range v.GetDomains() {
				if d != "" && d[len(d)-1] == '*' && len(host) >= len(d) && strings.HasPrefix(host, d[:len(d)-1]) && len(d) > longest {
					vh, longest = v, len(d)
				}
			}
		}
	}
	if vh == nil {
		for _, v := range rc.GetVirtualHosts() {
			for _, d := range v.GetDomains() {
				if d == "*" && vh == nil {
					vh = v
				}
			}
		}
	}
	if vh == nil {
		return ev
	}
	ev.VirtualHost = vh.GetName()
	for _, r := range vh.GetRoutes() {
		ok := false
		switch ps := r.GetMatch().GetPathSpecifier().(type) {
		case *route.RouteMatch_Prefix:
			ok = strings.HasPrefix(req.Path, ps.Prefix)
		case *route.RouteMatch_PathSeparatedPrefix:
			ok = strings.HasPrefix(req.Path, ps.PathSeparatedPrefix)
		case *route.RouteMatch_Path:
			ok = req.Path == ps.Path
		case *route.RouteMatch_SafeRegex:
			re, err := plainRegexp(ps.SafeRegex.GetRegex())
			ok = err == nil && re.MatchString(req.Path)
		}
		if ok {
			applyAction(&ev, r, req.Path)
			return ev
		}
	}
	return ev
}

// virtualServiceOf returns "<namespace>/<name>" from Istio's route metadata
// (filter_metadata "istio" -> "config": /apis/networking.istio.io/v1/namespaces/NS/virtual-service/NAME).
func virtualServiceOf(r *route.Route) string {
	md := r.GetMetadata().GetFilterMetadata()["istio"]
	if md == nil {
		return ""
	}
	cfg := md.GetFields()["config"].GetStringValue()
	return parseConfigPath(cfg)
}

func parseConfigPath(cfg string) string {
	parts := strings.Split(strings.Trim(cfg, "/"), "/")
	for i := 0; i+3 < len(parts); i++ {
		if parts[i] == "namespaces" {
			return parts[i+1] + "/" + parts[i+3]
		}
	}
	return ""
}

// ---------------------------------------------------------------------------
// Path handling in the connection manager.

// normalizeRequestPath applies the HCM's escaped-slash action, normalize_path and
// merge_slashes, in Envoy's order, to the path part of :path (the query is kept).
// A non-zero status means Envoy answers the request itself (400 reject, 307 redirect).
func normalizeRequestPath(full string, opts ConnManagerOptions) (string, int, string) {
	// Fragments are never routed; Envoy strips them from :path.
	if i := strings.IndexByte(full, '#'); i >= 0 {
		full = full[:i]
	}
	p, q := splitQuery(full)

	switch opts.EscapedSlashesAction {
	case hcm.HttpConnectionManager_REJECT_REQUEST:
		if hasEscapedSlash(p) {
			return full, 400, "path contains escaped slashes (REJECT_REQUEST)"
		}
	case hcm.HttpConnectionManager_UNESCAPE_AND_REDIRECT:
		if hasEscapedSlash(p) {
			return unescapeSlashes(p) + q, 307, "path contains escaped slashes (UNESCAPE_AND_REDIRECT)"
		}
	case hcm.HttpConnectionManager_UNESCAPE_AND_FORWARD:
		p = unescapeSlashes(p)
	}
	if opts.NormalizePath {
		np, ok := canonicalPath(p)
		if !ok {
			return full, 400, "path cannot be normalised"
		}
		p = np
	}
	if opts.MergeSlashes {
		p = mergeSlashes(p)
	}
	return p + q, 0, ""
}

func splitQuery(full string) (string, string) {
	if i := strings.IndexByte(full, '?'); i >= 0 {
		return full[:i], full[i:]
	}
	return full, ""
}

// removeQueryAndFragment mirrors Envoy's PathUtil::removeQueryAndFragment.
func removeQueryAndFragment(p string) string {
	if i := strings.IndexAny(p, "?#"); i >= 0 {
		return p[:i]
	}
	return p
}

func hasEscapedSlash(p string) bool {
	l := strings.ToLower(p)
	return strings.Contains(l, "%2f") || strings.Contains(l, "%5c")
}

func unescapeSlashes(p string) string {
	r := strings.NewReplacer("%2F", "/", "%2f", "/", "%5C", "\\", "%5c", "\\")
	return r.Replace(p)
}

func mergeSlashes(p string) string {
	var b strings.Builder
	prevSlash := false
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c == '/' {
			if prevSlash {
				continue
			}
			prevSlash = true
		} else {
			prevSlash = false
		}
		b.WriteByte(c)
	}
	return b.String()
}

func isUnreserved(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~'
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// canonicalPath approximates Envoy's normalize_path (Chromium's URL path
// canonicaliser): backslashes are separators, percent-encoded unreserved
// characters are decoded (so %2E is a dot), "." and ".." segments are removed,
// a leading "/" is ensured, and bytes that may not appear raw in a path are
// percent-encoded. Other escapes (e.g. %2F, %5c) are kept as they are.
// Returns false for paths Envoy rejects (an escaped NUL).
func canonicalPath(p string) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '\\':
			b.WriteByte('/')
		case c == '%' && i+2 < len(p):
			h, ok1 := unhex(p[i+1])
			l, ok2 := unhex(p[i+2])
			if !ok1 || !ok2 {
				// invalid escape: the percent sign is kept literally
				b.WriteByte('%')
				continue
			}
			v := h<<4 | l
			if v == 0 {
				return "", false
			}
			if isUnreserved(v) {
				b.WriteByte(v)
			} else {
				b.WriteString(p[i : i+3])
			}
			i += 2
		case c == '%':
			b.WriteByte('%')
		case c <= 0x20 || c >= 0x7f || c == '"' || c == '<' || c == '>' || c == '`' || c == '{' || c == '}':
			fmt.Fprintf(&b, "%%%02X", c)
		default:
			b.WriteByte(c)
		}
	}
	s := b.String()
	if !strings.HasPrefix(s, "/") {
		s = "/" + s
	}
	return removeDotSegments(s), true
}

// removeDotSegments implements RFC 3986 section 5.2.4 for an absolute path.
func removeDotSegments(p string) string {
	segs := strings.Split(p[1:], "/")
	out := make([]string, 0, len(segs))
	for i, s := range segs {
		last := i == len(segs)-1
		switch s {
		case ".":
			if last {
				out = append(out, "")
			}
		case "..":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
			if last {
				out = append(out, "")
			}
		default:
			out = append(out, s)
		}
	}
	return "/" + strings.Join(out, "/")
}

// ---------------------------------------------------------------------------
// Virtual host selection.

func splitHostPort(host string) (string, string, bool) {
	// [v6]:port
	if strings.HasPrefix(host, "[") {
		if i := strings.LastIndex(host, "]:"); i >= 0 {
			port := host[i+2:]
			if isDigits(port) {
				return host[:i+1], port, true
			}
		}
		return host, "", false
	}
	i := strings.LastIndexByte(host, ':')
	if i < 0 || strings.Count(host, ":") > 1 {
		return host, "", false
	}
	if !isDigits(host[i+1:]) {
		return host, "", false
	}
	return host[:i], host[i+1:], true
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func stripPort(host string) string {
	h, _, _ := splitHostPort(host)
	return h
}

// selectVirtualHost follows Envoy's RouteMatcher::findVirtualHost: exact domain,
// then suffix wildcards ("*.foo", longest first), then prefix wildcards ("foo.*",
// longest first), then "*". Wildcards must match at least one character.
func selectVirtualHost(rc *route.RouteConfiguration, host string) *route.VirtualHost {
	host = strings.ToLower(host)
	if rc.GetIgnorePortInHostMatching() {
		host = stripPort(host)
	}
	var def *route.VirtualHost
	var bestSuffix, bestPrefix *route.VirtualHost
	bestSuffixLen, bestPrefixLen := -1, -1
	for _, vh := range rc.GetVirtualHosts() {
		for _, d := range vh.GetDomains() {
			d = strings.ToLower(d)
			switch {
			case d == "*":
				if def == nil {
					def = vh
				}
			case strings.HasPrefix(d, "*"):
				suffix := d[1:]
				if len(host) > len(suffix) && strings.HasSuffix(host, suffix) && len(suffix) > bestSuffixLen {
					bestSuffix, bestSuffixLen = vh, len(suffix)
				}
			case strings.HasSuffix(d, "*"):
				prefix := d[:len(d)-1]
				if len(host) > len(prefix) && strings.HasPrefix(host, prefix) && len(prefix) > bestPrefixLen {
					bestPrefix, bestPrefixLen = vh, len(prefix)
				}
			default:
				if d == host {
					return vh
				}
			}
		}
	}
	if bestSuffix != nil {
		return bestSuffix
	}
	if bestPrefix != nil {
		return bestPrefix
	}
	return def
}

// ---------------------------------------------------------------------------
// Route matching.

var regexCache sync.Map // pattern -> *regexp.Regexp or error

// fullMatchRegexp compiles an RE2 pattern anchored for a full match.
func fullMatchRegexp(pattern string) (*regexp.Regexp, error) {
	if v, ok := regexCache.Load("F" + pattern); ok {
		if err, isErr := v.(error); isErr {
			return nil, err
		}
		return v.(*regexp.Regexp), nil
	}
	re, err := regexp.Compile(`^(?:` + pattern + `)$`)
	if err != nil {
		err = fmt.Errorf("invalid regex %q: %v", pattern, err)
		regexCache.Store("F"+pattern, err)
		return nil, err
	}
	regexCache.Store("F"+pattern, re)
	return re, nil
}

func plainRegexp(pattern string) (*regexp.Regexp, error) {
	if v, ok := regexCache.Load("P" + pattern); ok {
		if err, isErr := v.(error); isErr {
			return nil, err
		}
		return v.(*regexp.Regexp), nil
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		err = fmt.Errorf("invalid regex %q: %v", pattern, err)
		regexCache.Store("P"+pattern, err)
		return nil, err
	}
	regexCache.Store("P"+pattern, re)
	return re, nil
}

func routeMatches(m *route.RouteMatch, req EvalRequest) (bool, error) {
	if m == nil {
		return false, nil
	}
	caseSensitive := true
	if m.GetCaseSensitive() != nil {
		caseSensitive = m.GetCaseSensitive().GetValue()
	}
	eq := func(a, b string) bool {
		if caseSensitive {
			return a == b
		}
		return strings.EqualFold(a, b)
	}
	hasPrefix := func(s, p string) bool {
		return len(s) >= len(p) && eq(s[:len(p)], p)
	}

	switch ps := m.GetPathSpecifier().(type) {
	case *route.RouteMatch_Prefix:
		// Envoy matches a prefix against the whole :path, query string included.
		if !hasPrefix(req.Path, ps.Prefix) {
			return false, nil
		}
	case *route.RouteMatch_Path:
		if !eq(removeQueryAndFragment(req.Path), ps.Path) {
			return false, nil
		}
	case *route.RouteMatch_SafeRegex:
		re, err := fullMatchRegexp(ps.SafeRegex.GetRegex())
		if err != nil {
			return false, err
		}
		if !re.MatchString(removeQueryAndFragment(req.Path)) {
			return false, nil
		}
	case *route.RouteMatch_PathSeparatedPrefix:
		p := removeQueryAndFragment(req.Path)
		pre := ps.PathSeparatedPrefix
		if !(eq(p, pre) || (hasPrefix(p, pre) && len(p) > len(pre) && p[len(pre)] == '/')) {
			return false, nil
		}
	case nil:
		return false, fmt.Errorf("route without path specifier")
	default:
		return false, fmt.Errorf("unsupported path specifier %T", ps)
	}

	for _, h := range m.GetHeaders() {
		ok, err := headerMatches(h, req)
		if err != nil {
			return false, err
		}
		if !ok {
			return false, nil
		}
	}

	if len(m.GetQueryParameters()) > 0 {
		params := parseQuery(req.Path)
		for _, qm := range m.GetQueryParameters() {
			ok, err := queryParamMatches(qm, params)
			if err != nil {
				return false, err
			}
			if !ok {
				return false, nil
			}
		}
	}
	if m.GetRuntimeFraction() != nil || m.GetGrpc() != nil || m.GetTlsContext() != nil || len(m.GetDynamicMetadata()) > 0 {
		return false, fmt.Errorf("unsupported route match criteria (runtime_fraction/grpc/tls_context/dynamic_metadata)")
	}
	return true, nil
}

// headerValue returns the value Envoy's header matchers see: all values of the
// header joined with ",", or ok=false when the header is absent.
func headerValue(req EvalRequest, name string) (string, bool) {
	name = strings.ToLower(name)
	switch name {
	case ":path":
		return req.Path, true
	case ":authority", "host":
		if req.Host == "" {
			return "", false
		}
		return req.Host, true
	case ":method":
		return req.Method, true
	case ":scheme":
		return req.Scheme, true
	}
	vals, ok := req.Headers[name]
	if !ok {
		return "", false
	}
	return strings.Join(vals, ","), true
}

// headerMatches mirrors Envoy's HeaderUtility / HeaderDataBaseImpl::matchesHeaders.
func headerMatches(h *route.HeaderMatcher, req EvalRequest) (bool, error) {
	value, present := headerValue(req, h.GetName())
	isPresentMatch := false
	presentWanted := false
	if pm, ok := h.GetHeaderMatchSpecifier().(*route.HeaderMatcher_PresentMatch); ok {
		isPresentMatch = true
		presentWanted = pm.PresentMatch
	}
	if h.GetHeaderMatchSpecifier() == nil {
		// No specifier: Envoy treats this as a presence match.
		isPresentMatch = true
		presentWanted = true
	}
	if !present && !h.GetTreatMissingHeaderAsEmpty() {
		if h.GetInvertMatch() {
			return isPresentMatch && presentWanted, nil
		}
		return isPresentMatch && !presentWanted, nil
	}
	var ok bool
	var err error
	switch s := h.GetHeaderMatchSpecifier().(type) {
	case nil:
		ok = true
	case *route.HeaderMatcher_PresentMatch:
		ok = s.PresentMatch // header present (or treated as empty)
	case *route.HeaderMatcher_ExactMatch:
		ok = value == s.ExactMatch
	case *route.HeaderMatcher_SafeRegexMatch:
		var re *regexp.Regexp
		re, err = fullMatchRegexp(s.SafeRegexMatch.GetRegex())
		if err == nil {
			ok = re.MatchString(value)
		}
	case *route.HeaderMatcher_PrefixMatch:
		ok = strings.HasPrefix(value, s.PrefixMatch)
	case *route.HeaderMatcher_SuffixMatch:
		ok = strings.HasSuffix(value, s.SuffixMatch)
	case *route.HeaderMatcher_ContainsMatch:
		ok = strings.Contains(value, s.ContainsMatch)
	case *route.HeaderMatcher_RangeMatch:
		n, perr := strconv.ParseInt(value, 10, 64)
		ok = perr == nil && n >= s.RangeMatch.GetStart() && n < s.RangeMatch.GetEnd()
	case *route.HeaderMatcher_StringMatch:
		ok, err = stringMatches(s.StringMatch, value)
	default:
		err = fmt.Errorf("unsupported header matcher %T", s)
	}
	if err != nil {
		return false, err
	}
	return ok != h.GetInvertMatch(), nil
}

// stringMatches mirrors Envoy's StringMatcher (ignore_case does not apply to safe_regex).
func stringMatches(m *matcher.StringMatcher, value string) (bool, error) {
	ic := m.GetIgnoreCase()
	v := value
	lower := func(s string) string {
		if ic {
			return strings.ToLower(s)
		}
		return s
	}
	switch p := m.GetMatchPattern().(type) {
	case *matcher.StringMatcher_Exact:
		return lower(v) == lower(p.Exact), nil
	case *matcher.StringMatcher_Prefix:
		return strings.HasPrefix(lower(v), lower(p.Prefix)), nil
	case *matcher.StringMatcher_Suffix:
		return strings.HasSuffix(lower(v), lower(p.Suffix)), nil
	case *matcher.StringMatcher_Contains:
		return strings.Contains(lower(v), lower(p.Contains)), nil
	case *matcher.StringMatcher_SafeRegex:
		re, err := fullMatchRegexp(p.SafeRegex.GetRegex())
		if err != nil {
			return false, err
		}
		return re.MatchString(v), nil
	default:
		return false, fmt.Errorf("unsupported string matcher %T", p)
	}
}

// parseQuery mirrors Envoy's QueryParamsMulti::parseAndDecodeQueryString:
// "&"-separated, split at the first "=", percent-decoded ("+" stays "+"),
// a parameter without "=" has the empty value.
func parseQuery(full string) map[string][]string {
	out := map[string][]string{}
	i := strings.IndexByte(full, '?')
	if i < 0 {
		return out
	}
	q := full[i+1:]
	if j := strings.IndexByte(q, '#'); j >= 0 {
		q = q[:j]
	}
	for _, part := range strings.Split(q, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		out[percentDecode(k)] = append(out[percentDecode(k)], percentDecode(v))
	}
	return out
}

func percentDecode(s string) string {
	if d, err := url.PathUnescape(s); err == nil {
		return d
	}
	return s
}

// queryParamMatches mirrors Envoy's ConfigUtility::QueryParameterMatcher: the first
// value of the parameter is matched; a matcher without string_match is a presence check.
func queryParamMatches(qm *route.QueryParameterMatcher, params map[string][]string) (bool, error) {
	vals, ok := params[qm.GetName()]
	switch s := qm.GetQueryParameterMatchSpecifier().(type) {
	case *route.QueryParameterMatcher_StringMatch:
		if !ok || len(vals) == 0 {
			return false, nil
		}
		return stringMatches(s.StringMatch, vals[0])
	default:
		return ok, nil
	}
}

// CheckRouteConfig reports what would make Envoy reject (NACK) the route
// configuration as a whole: regexes that do not compile. Envoy validates every
// regex when it loads the configuration, so one bad route means the whole
// RouteConfiguration is refused, not just that route skipped.
func CheckRouteConfig(rc *route.RouteConfiguration) error {
	var problems []string
	check := func(where, re string, full bool) {
		var err error
		if full {
			_, err = fullMatchRegexp(re)
		} else {
			_, err = plainRegexp(re)
		}
		if err != nil {
			problems = append(problems, where+": "+err.Error())
		}
	}
	checkString := func(where string, m *matcher.StringMatcher) {
		if r, ok := m.GetMatchPattern().(*matcher.StringMatcher_SafeRegex); ok {
			check(where, r.SafeRegex.GetRegex(), true)
		}
	}
	for _, vh := range rc.GetVirtualHosts() {
		for _, r := range vh.GetRoutes() {
			where := fmt.Sprintf("virtual host %q route %q", vh.GetName(), r.GetName())
			m := r.GetMatch()
			if sr, ok := m.GetPathSpecifier().(*route.RouteMatch_SafeRegex); ok {
				check(where, sr.SafeRegex.GetRegex(), true)
			}
			for _, h := range m.GetHeaders() {
				switch hs := h.GetHeaderMatchSpecifier().(type) {
				case *route.HeaderMatcher_SafeRegexMatch:
					check(where, hs.SafeRegexMatch.GetRegex(), true)
				case *route.HeaderMatcher_StringMatch:
					checkString(where, hs.StringMatch)
				}
			}
			for _, q := range m.GetQueryParameters() {
				checkString(where, q.GetStringMatch())
			}
			if rr := r.GetRoute().GetRegexRewrite(); rr != nil {
				check(where, rr.GetPattern().GetRegex(), false)
			}
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	return nil
}

// ---------------------------------------------------------------------------
// Rewrites.

// rewritePath computes the upstream :path after prefix_rewrite / regex_rewrite,
// following Envoy's RouteEntryImplBase::currentUrlPathAfterRewriteWithMatchedPath.
func rewritePath(m *route.RouteMatch, ra *route.RouteAction, path string) (string, error) {
	if pr := ra.GetPrefixRewrite(); pr != "" {
		var matched string
		switch ps := m.GetPathSpecifier().(type) {
		case *route.RouteMatch_Prefix:
			matched = ps.Prefix
		case *route.RouteMatch_PathSeparatedPrefix:
			matched = ps.PathSeparatedPrefix
		case *route.RouteMatch_Path:
			matched = ps.Path
		default:
			// regex and others: the whole path (query excluded) is the matched part
			matched = removeQueryAndFragment(path)
		}
		if len(matched) > len(path) {
			return path, fmt.Errorf("prefix_rewrite: matched part %q longer than path %q", matched, path)
		}
		return pr + path[len(matched):], nil
	}
	if rr := ra.GetRegexRewrite(); rr != nil {
		re, err := plainRegexp(rr.GetPattern().GetRegex())
		if err != nil {
			return path, err
		}
		just := removeQueryAndFragment(path)
		return re.ReplaceAllString(just, envoySubstitutionToGo(rr.GetSubstitution())) + path[len(just):], nil
	}
	if ra.GetPathRewritePolicy() != nil {
		return path, fmt.Errorf("path_rewrite_policy is not supported")
	}
	return path, nil
}

// envoySubstitutionToGo converts an RE2 substitution ("\1") to Go's syntax ("${1}").
func envoySubstitutionToGo(sub string) string {
	var b strings.Builder
	for i := 0; i < len(sub); i++ {
		c := sub[i]
		switch {
		case c == '$':
			b.WriteString("$$")
		case c == '\\' && i+1 < len(sub) && sub[i+1] >= '0' && sub[i+1] <= '9':
			b.WriteString("${" + string(sub[i+1]) + "}")
			i++
		case c == '\\' && i+1 < len(sub) && sub[i+1] == '\\':
			b.WriteByte('\\')
			i++
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// sortedKeys is a small helper for deterministic output.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
