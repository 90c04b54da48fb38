package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"

	listener "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	route "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	hcm "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"github.com/hashicorp/go-multierror"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	kubeyaml "k8s.io/apimachinery/pkg/util/yaml"

	"istio.io/istio/pilot/pkg/config/kube/crd"
	"istio.io/istio/pilot/pkg/model"
	"istio.io/istio/pilot/pkg/simulation"
	"istio.io/istio/pilot/test/xds"
	"istio.io/istio/pkg/config"
	"istio.io/istio/pkg/config/analysis/analyzers"
	"istio.io/istio/pkg/config/analysis/diag"
	"istio.io/istio/pkg/config/analysis/local"
	"istio.io/istio/pkg/config/resource"
	"istio.io/istio/pkg/config/schema/collections"
	sresource "istio.io/istio/pkg/config/schema/resource"
	kubelib "istio.io/istio/pkg/kube"
	"istio.io/istio/pkg/wellknown"
)

// ---------------------------------------------------------------------------
// Protocol types.

type GatewaySpec struct {
	Namespace string            `json:"namespace"`
	Labels    map[string]string `json:"labels"`
}

// HeaderValues accepts either a string or a list of strings.
type HeaderValues []string

func (h *HeaderValues) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '[' {
		var vs []string
		if err := jsonUnmarshal(b, &vs); err != nil {
			return err
		}
		*h = vs
		return nil
	}
	var s string
	if err := jsonUnmarshal(b, &s); err != nil {
		return err
	}
	*h = []string{s}
	return nil
}

type Request struct {
	Host    string                  `json:"host"`
	Path    string                  `json:"path"`
	Port    int                     `json:"port"`
	Method  string                  `json:"method,omitempty"`
	Headers map[string]HeaderValues `json:"headers,omitempty"`
}

type Case struct {
	ID       string       `json:"id"`
	Objects  string       `json:"objects"`
	Gateway  *GatewaySpec `json:"gateway,omitempty"`
	Requests []Request    `json:"requests"`
	// Clusters names generated clusters to return as Envoy config (Output.Clusters).
	Clusters []string `json:"clusters,omitempty"`
	// ListenerPorts asks for the HTTP filter chain and local reply config of the gateway listeners on these ports (Output.HTTPFilters, Output.LocalReplyConfig).
	ListenerPorts []int `json:"listenerPorts,omitempty"`
	// RouteTable asks for every generated Envoy route of the gateway (Output.RouteTable).
	RouteTable bool `json:"routeTable,omitempty"`
	// Sidecar asks for the inbound side of a workload's sidecar proxy (Output.Sidecar, Output.InboundRBAC).
	Sidecar *SidecarSpec `json:"sidecar,omitempty"`
	// GatewayAPI simulates the router proxy of this Gateway API Gateway instead of the Istio ingress gateway.
	GatewayAPI *GatewayAPISpec `json:"gatewayApi,omitempty"`
	// Ambient runs the case in an ambient-enabled istiod and asks for its ambient view (Output.Ambient).
	Ambient bool `json:"ambient,omitempty"`
}

type Message struct {
	Source  string `json:"source"`
	Level   string `json:"level"`
	Code    string `json:"code"`
	Object  string `json:"object"`
	Message string `json:"message"`
}

type SimulationCheck struct {
	Checked bool   `json:"checked"`
	Agrees  bool   `json:"agrees"`
	Detail  string `json:"detail"`
	// Explained is true when agrees is false but the disagreement is fully
	// accounted for by the simulator's documented simplifications: evaluating
	// the request the simplified way reproduces the simulator's verdict.
	Explained bool `json:"explained"`
}

type Result struct {
	VirtualHost      string            `json:"virtualHost"`
	RouteName        string            `json:"routeName"`
	VirtualService   string            `json:"virtualService"`
	Outcome          string            `json:"outcome"`
	Cluster          string            `json:"cluster"`
	WeightedClusters []WeightedCluster `json:"weightedClusters"`
	DirectStatus     int               `json:"directStatus"`
	Path             string            `json:"path"`
	Detail           string            `json:"detail,omitempty"`
	Simulation       SimulationCheck   `json:"simulation"`
	// Route is the matched Envoy route (protojson, proto field names); omitted when no route matched.
	Route json.RawMessage `json:"route,omitempty"`
	// HTTPRoute is "<namespace>/<name>" of the HTTPRoute whose rule became the matched route; omitted otherwise.
	HTTPRoute string `json:"httpRoute,omitempty"`
	// MissingClusters are clusters of the matched route that were not generated for the gateway
	// (Envoy answers with the route's cluster_not_found_response_code); omitted when none.
	MissingClusters []string `json:"missingClusters,omitempty"`
}

// RouteTableEntry is one Envoy route of a generated route configuration.
type RouteTableEntry struct {
	RouteConfig string `json:"routeConfig"`
	VirtualHost string `json:"virtualHost"`
	Name        string `json:"name"`
	// PerFilterConfig lists the typed_per_filter_config keys of the route, sorted.
	PerFilterConfig []string `json:"perFilterConfig"`
}

type Output struct {
	ID       string    `json:"id"`
	Messages []Message `json:"messages"`
	Results  []Result  `json:"results"`
	// Clusters maps each cluster the case asked for to its generated Envoy config (protojson,
	// proto field names), or null when no such cluster was generated. Omitted unless asked.
	Clusters map[string]json.RawMessage `json:"clusters,omitempty"`
	// HTTPFilters maps each asked listener port ("80") to the HTTP filter names of its plaintext
	// HTTP connection manager, in order ([] when there is none). Omitted unless asked.
	HTTPFilters map[string][]string `json:"httpFilters,omitempty"`
	// LocalReplyConfig maps each asked listener port to its plaintext HTTP connection manager's
	// local_reply_config (protojson, proto field names), or null. Omitted unless asked.
	LocalReplyConfig map[string]json.RawMessage `json:"localReplyConfig,omitempty"`
	// RouteTable lists every route of every generated route configuration, in config order.
	// Omitted unless asked.
	RouteTable *[]RouteTableEntry `json:"routeTable,omitempty"`
	// Sidecar describes the sidecar proxy set up for the case's "sidecar". Omitted unless asked.
	Sidecar *SidecarInfo `json:"sidecar,omitempty"`
	// InboundRBAC lists, for each asked sidecar port, the virtualInbound filter chains serving it
	// with their RBAC filters. Omitted unless the case has a "sidecar".
	InboundRBAC *[]InboundRBAC `json:"inboundRbac,omitempty"`
	Error       string         `json:"error"`
	// TimingMs is the wall time spent on the case (informational).
	TimingMs int64 `json:"timingMs"`
	// GatewayAPIStatus is the status istiod's gateway controller computed for each Gateway API
	// object of the case. Omitted when the case has none.
	GatewayAPIStatus *[]GatewayAPIObjectStatus `json:"gatewayApiStatus,omitempty"`
	// Ambient is istiod's view of the case's ambient workloads, waypoints and policies. Omitted unless asked.
	Ambient *AmbientView `json:"ambient,omitempty"`
}

// ---------------------------------------------------------------------------
// Object parsing.

type parsedObjects struct {
	istio []config.Config
	kube  []runtime.Object
	// kubeMeta is kind + namespace/name of each kube object, for reporting
	kubeNames []string
}

const defaultNamespace = "default"

// parseObjects splits the multi-document YAML into Istio configs (for istiod's
// config store) and Kubernetes objects (for the fake kube client).
func parseObjects(objects string, now time.Time) (*parsedObjects, error) {
	out := &parsedObjects{}
	dec := kubeyaml.NewYAMLOrJSONDecoder(strings.NewReader(objects), 512*1024)
	kubeDecode := kubelib.IstioCodec.UniversalDeserializer().Decode
	for i := 0; ; i++ {
		var raw map[string]any
		err := dec.Decode(&raw)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("document %d: cannot parse YAML: %v", i+1, err)
		}
		if len(raw) == 0 {
			continue
		}
		js, err := jsonMarshal(raw)
		if err != nil {
			return nil, fmt.Errorf("document %d: %v", i+1, err)
		}
		var tm metav1.TypeMeta
		if err := jsonUnmarshal(js, &tm); err != nil {
			return nil, fmt.Errorf("document %d: %v", i+1, err)
		}
		gvk := tm.GroupVersionKind()
		if gvk.Kind == "" || tm.APIVersion == "" {
			return nil, fmt.Errorf("document %d: missing apiVersion or kind", i+1)
		}
		if strings.HasSuffix(gvk.Group, "istio.io") {
			s, ok := collections.PilotGatewayAPI().FindByGroupVersionAliasesKind(sresource.FromKubernetesGVK(&gvk))
			if !ok {
				return nil, fmt.Errorf("document %d: unsupported Istio kind %s", i+1, tm.APIVersion+"/"+tm.Kind)
			}
			var obj crd.IstioKind
			if err := jsonUnmarshal(js, &obj); err != nil {
				return nil, fmt.Errorf("document %d (%s): %v", i+1, gvk.Kind, err)
			}
			cfg, err := crd.ConvertObject(s, &obj, "cluster.local")
			if err != nil {
				return nil, fmt.Errorf("%s %s/%s: cannot convert spec: %v", gvk.Kind, obj.Namespace, obj.Name, err)
			}
			if cfg.Namespace == "" {
				cfg.Namespace = defaultNamespace
			}
			if cfg.CreationTimestamp.IsZero() {
				// what the API server would do: stamp it at (second precision) creation time
				cfg.CreationTimestamp = now
			}
			out.istio = append(out.istio, *cfg)
			continue
		}
		if gvk.Group == gatewayAPIGroup {
			if err := normalizeGatewayAPIDocument(raw, gvk.Kind); err != nil {
				return nil, fmt.Errorf("document %d: %v", i+1, err)
			}
			if js, err = jsonMarshal(raw); err != nil {
				return nil, fmt.Errorf("document %d: %v", i+1, err)
			}
		}
		obj, _, err := kubeDecode(js, nil, nil)
		if err != nil {
			return nil, fmt.Errorf("document %d (%s %s): cannot decode Kubernetes object: %v", i+1, tm.APIVersion, tm.Kind, err)
		}
		if mo, ok := obj.(metav1.Object); ok {
			if mo.GetNamespace() == "" && gvk.Kind != "Namespace" {
				mo.SetNamespace(defaultNamespace)
			}
			if ts := mo.GetCreationTimestamp(); ts.IsZero() {
				mo.SetCreationTimestamp(metav1.NewTime(now))
			}
			out.kubeNames = append(out.kubeNames, gvk.Kind+" "+mo.GetNamespace()+"/"+mo.GetName())
		}
		out.kube = append(out.kube, obj)
	}
	return out, nil
}

// ---------------------------------------------------------------------------
// Validation (what the validating webhook runs).

func flattenErrors(err error) []error {
	if err == nil {
		return nil
	}
	var me *multierror.Error
	if errors.As(err, &me) {
		var out []error
		for _, e := range me.Errors {
			out = append(out, flattenErrors(e)...)
		}
		return out
	}
	return []error{err}
}

func validateConfigs(cfgs []config.Config) []Message {
	var msgs []Message
	for _, cfg := range cfgs {
		s, ok := collections.All.FindByGroupVersionAliasesKind(cfg.GroupVersionKind)
		if !ok {
			continue
		}
		obj := fmt.Sprintf("%s %s/%s", cfg.GroupVersionKind.Kind, cfg.Namespace, cfg.Name)
		warn, err := s.ValidateConfig(cfg)
		for _, e := range flattenErrors(err) {
			msgs = append(msgs, Message{Source: "validation", Level: "Error", Object: obj, Message: e.Error()})
		}
		for _, w := range flattenErrors(warn) {
			msgs = append(msgs, Message{Source: "validation", Level: "Warning", Object: obj, Message: w.Error()})
		}
	}
	return msgs
}

// ---------------------------------------------------------------------------
// Analysis (istioctl analyze's analyzers, in-process).

// syntheticGatewayObjects stands for the simulated ingress gateway deployment:
// a pod and a Service carrying the gateway labels, so that Gateway selectors
// resolve as they would in a cluster running that gateway. This is istioctl
// analyze's AddDefaultResources (pkg/config/analysis/local/defaults.go: the
// same dummy pod and the same Service ports 80/443/31400/15443), placed in the
// case's gateway namespace with the case's gateway labels.
func syntheticGatewayObjects(gw GatewaySpec) string {
	var lbl strings.Builder
	for _, k := range sortedKeys(gw.Labels) {
		fmt.Fprintf(&lbl, "    %q: %q\n", k, gw.Labels[k])
	}
	return fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata:
  name: istio-oracle-gateway-dummypod
  namespace: %[1]s
  labels:
%[2]sspec:
  containers:
  - name: istio-proxy
    image: istio/proxyv2
---
apiVersion: v1
kind: Service
metadata:
  name: istio-oracle-gateway
  namespace: %[1]s
spec:
  selector:
%[2]s  ports:
  - name: http2
    port: 80
    protocol: TCP
    targetPort: 80
  - name: https
    port: 443
    protocol: TCP
    targetPort: 443
  - name: tcp
    port: 31400
    protocol: TCP
    targetPort: 31400
  - name: tls
    port: 15443
    protocol: TCP
    targetPort: 15443
`, gw.Namespace, lbl.String())
}

// suppressedAnalysisCodes lists analyzer codes dropped because they are caused by
// the tool's own setup rather than by the case's objects (see README).
var suppressedAnalysisCodes = map[string]string{}

func analyze(objects string, gw GatewaySpec) ([]Message, error) {
	sa := local.NewIstiodAnalyzer(analyzers.AllCombined(), "", resource.Namespace("istio-system"), nil)
	// AddTestReaderKubeSource (unlike AddReaderKubeSource) keeps Services, Pods and
	// Namespaces from the readers: the objects are analysed as if they were the
	// whole content of a live cluster (istioctl analyze against a cluster).
	err := sa.AddTestReaderKubeSource([]local.ReaderSource{
		{Name: "objects", Reader: strings.NewReader(objects)},
		{Name: "istio-oracle-gateway", Reader: strings.NewReader(syntheticGatewayObjects(gw))},
	})
	if err != nil {
		return nil, fmt.Errorf("analysis could not read the objects: %v", err)
	}
	cancel := make(chan struct{})
	defer close(cancel)
	res, err := sa.Analyze(cancel)
	if err != nil {
		return nil, err
	}
	var msgs []Message
	for _, m := range res.Messages {
		if _, drop := suppressedAnalysisCodes[m.Type.Code()]; drop {
			continue
		}
		msgs = append(msgs, analysisMessage(m))
	}
	return msgs, nil
}

func analysisMessage(m diag.Message) Message {
	obj := ""
	if m.Resource != nil {
		obj = m.Resource.Origin.FriendlyName()
	}
	return Message{
		Source:  "analysis",
		Level:   m.Type.Level().String(),
		Code:    m.Type.Code(),
		Object:  obj,
		Message: fmt.Sprintf(m.Type.Template(), m.Parameters...),
	}
}

// ---------------------------------------------------------------------------
// Routing.

type gatewayView struct {
	listeners []*listener.Listener
	routes    map[string]*route.RouteConfiguration
	sim       *simulation.Simulation
	// rejected caches CheckRouteConfig per route configuration name ("" = accepted)
	rejected map[string]string
}

// newFakeDiscovery starts istiod's fake discovery server with the case's configs and objects.
func newFakeDiscovery(t *caseFailer, p *parsedObjects) *xds.FakeDiscoveryServer {
	t0 := time.Now()
	fds := xds.NewFakeDiscoveryServer(t, xds.FakeOptions{
		Configs:           p.istio,
		KubernetesObjects: p.kube,
	})
	debugf("fake discovery server %v", time.Since(t0))
	return fds
}

// buildGateway runs istiod's config generation for a router proxy with the gateway's labels.
func buildGateway(fds *xds.FakeDiscoveryServer, gw GatewaySpec) *gatewayView {
	return gatewayViewFor(fds, &model.Proxy{
		Type:            model.Router,
		ID:              "istio-oracle-gateway." + gw.Namespace,
		ConfigNamespace: gw.Namespace,
		Labels:          gw.Labels,
		Metadata: &model.NodeMetadata{
			Labels:    gw.Labels,
			Namespace: gw.Namespace,
		},
	})
}

// gatewayViewFor sets up a router proxy and generates its listeners, clusters and routes.
func gatewayViewFor(fds *xds.FakeDiscoveryServer, router *model.Proxy) *gatewayView {
	t0 := time.Now()
	defer func() { debugf("proxy + simulation %v", time.Since(t0)) }()
	proxy := fds.SetupProxy(router)
	// simulation.NewSimulation builds listeners, clusters and routes with istiod's
	// generators; the same listeners/routes feed our own evaluator.
	sim := simulation.NewSimulation(nil, fds, proxy)
	view := &gatewayView{listeners: sim.Listeners, routes: map[string]*route.RouteConfiguration{}, sim: sim, rejected: map[string]string{}}
	for _, rc := range sim.Routes {
		view.routes[rc.GetName()] = rc
	}
	return view
}

// plaintextHCM finds the gateway listener on port (0.0.0.0 or ::) and the HTTP
// connection manager of its first plaintext filter chain. problem says why there is none.
func (g *gatewayView) plaintextHCM(port int) (*hcm.HttpConnectionManager, string) {
	var l *listener.Listener
	for _, cand := range g.listeners {
		sa := cand.GetAddress().GetSocketAddress()
		if int(sa.GetPortValue()) == port && (sa.GetAddress() == "0.0.0.0" || sa.GetAddress() == "::") {
			l = cand
			break
		}
	}
	if l == nil {
		return nil, fmt.Sprintf("the gateway has no listener on port %d", port)
	}
	for _, fc := range l.GetFilterChains() {
		if fc.GetTransportSocket() != nil {
			continue // TLS-terminating chain; requests here are plaintext
		}
		for _, f := range fc.GetFilters() {
			if f.GetName() != wellknown.HTTPConnectionManager {
				continue
			}
			h := &hcm.HttpConnectionManager{}
			if err := f.GetTypedConfig().UnmarshalTo(h); err != nil {
				return nil, fmt.Sprintf("cannot decode HCM: %v", err)
			}
			return h, ""
		}
	}
	return nil, fmt.Sprintf("listener %s has no plaintext HTTP filter chain", l.GetName())
}

// routeConfigFor finds the gateway listener on port and its HCM + route configuration.
func (g *gatewayView) routeConfigFor(port int) (*route.RouteConfiguration, ConnManagerOptions, string) {
	h, problem := g.plaintextHCM(port)
	if h == nil {
		return nil, ConnManagerOptions{}, problem
	}
	opts := ConnManagerOptionsFrom(h, port)
	if rc := h.GetRouteConfig(); rc != nil {
		return rc, opts, ""
	}
	name := h.GetRds().GetRouteConfigName()
	rc, ok := g.routes[name]
	if !ok {
		return nil, opts, fmt.Sprintf("route configuration %q not generated", name)
	}
	return rc, opts, ""
}

func evaluateRequest(g *gatewayView, req Request) Result {
	port := req.Port
	if port == 0 {
		port = 80
	}
	path := req.Path
	if path == "" {
		path = "/"
	}
	headers := map[string][]string{}
	for k, v := range req.Headers {
		lk := strings.ToLower(k)
		headers[lk] = append(headers[lk], v...)
	}
	host := req.Host
	if hv, ok := headers["host"]; ok && host == "" && len(hv) > 0 {
		host = hv[0]
	}
	delete(headers, "host")
	delete(headers, ":authority")

	rc, opts, problem := g.routeConfigFor(port)
	var res Result
	rejected := ""
	if rc != nil {
		r, seen := g.rejected[rc.GetName()]
		if !seen {
			if err := CheckRouteConfig(rc); err != nil {
				r = fmt.Sprintf("Envoy would reject route configuration %q: %v", rc.GetName(), err)
			}
			g.rejected[rc.GetName()] = r
		}
		rejected = r
	}
	switch {
	case problem != "":
		res = Result{Outcome: OutcomeNoRoute, Path: path, Detail: problem}
	case rejected != "":
		res = Result{Outcome: OutcomeError, Path: path, Detail: rejected}
	default:
		ev := Evaluate(rc, EvalRequest{Host: host, Path: path, Method: req.Method, Headers: headers}, opts)
		res = Result{
			VirtualHost:      ev.VirtualHost,
			RouteName:        ev.RouteName,
			VirtualService:   ev.VirtualService,
			Outcome:          ev.Outcome,
			Cluster:          ev.Cluster,
			WeightedClusters: ev.WeightedClusters,
			DirectStatus:     ev.DirectStatus,
			Path:             ev.Path,
			Detail:           ev.Detail,
		}
		if ev.Route != nil {
			js, problem := protoJSON(ev.Route)
			res.Route = js
			if problem != "" {
				res.Detail = strings.TrimPrefix(res.Detail+"; ", "; ") + "route: " + problem
			}
		}
	}
	if res.WeightedClusters == nil {
		res.WeightedClusters = []WeightedCluster{}
	}
	if rejected != "" {
		res.Simulation = SimulationCheck{Checked: false, Detail: "route configuration rejected by Envoy; not compared"}
		return res
	}
	if len(headers) > 0 || (req.Method != "" && !strings.EqualFold(req.Method, "GET")) {
		res.Simulation = SimulationCheck{Checked: false, Detail: "request has headers; Istio's simulator ignores headers"}
		return res
	}
	res.Simulation = crossCheck(g.sim, host, path, port, res)
	if !res.Simulation.Agrees && res.Simulation.Checked && rc != nil && problem == "" {
		quirky := Evaluate(rc, EvalRequest{Host: host, Path: path}, ConnManagerOptions{SimulatorQuirks: true})
		q := Result{Outcome: quirky.Outcome, RouteName: quirky.RouteName, Cluster: quirky.Cluster, Detail: quirky.Detail}
		if again := crossCheck(g.sim, host, path, port, q); again.Agrees {
			res.Simulation.Explained = true
			res.Simulation.Detail = "explained by the simulator's simplifications (it ignores header/query matchers and path normalisation, and matches regexes partially): " + res.Simulation.Detail
		}
	}
	return res
}

// crossCheck runs Istio's own simulator on the request and compares its verdict.
func crossCheck(sim *simulation.Simulation, host, path string, port int, mine Result) (chk SimulationCheck) {
	chk.Checked = true
	var sr simulation.Result
	err := runGuarded(func() {
		sr = sim.Run(simulation.Call{
			Port:       port,
			Path:       path,
			Protocol:   simulation.HTTP,
			HostHeader: host,
			CallMode:   simulation.CallModeGateway,
			Headers:    http.Header{},
		})
	})
	if err != nil {
		chk.Agrees = false
		chk.Detail = "Istio's simulator aborted (it calls t.Fatal on input it cannot handle): " + err.Error()
		return chk
	}
	var diffs []string
	if sr.Error != nil {
		if mine.Outcome != OutcomeNoRoute {
			diffs = append(diffs, fmt.Sprintf("simulator: %v; oracle: route %q (%s)", sr.Error, mine.RouteName, mine.Outcome))
		}
	} else {
		if mine.Outcome == OutcomeNoRoute {
			diffs = append(diffs, fmt.Sprintf("simulator matched route %q (cluster %q); oracle: no route (%s)", sr.RouteMatched, sr.ClusterMatched, mine.Detail))
		} else {
			if sr.RouteMatched != mine.RouteName {
				diffs = append(diffs, fmt.Sprintf("route name: simulator %q, oracle %q", sr.RouteMatched, mine.RouteName))
			}
			if mine.Outcome != OutcomeWeighted && sr.ClusterMatched != mine.Cluster {
				diffs = append(diffs, fmt.Sprintf("cluster: simulator %q, oracle %q", sr.ClusterMatched, mine.Cluster))
			}
		}
	}
	chk.Agrees = len(diffs) == 0
	chk.Detail = strings.Join(diffs, "; ")
	return chk
}

// ---------------------------------------------------------------------------
// One case.

func gatewayOrDefault(g *GatewaySpec) GatewaySpec {
	out := GatewaySpec{Namespace: "istio-system", Labels: map[string]string{"istio": "ingressgateway"}}
	if g == nil {
		return out
	}
	if g.Namespace != "" {
		out.Namespace = g.Namespace
	}
	if len(g.Labels) > 0 {
		out.Labels = g.Labels
	}
	return out
}

// evaluateCase does the work for one case; it must run on its own goroutine
// (see runCase) because istiod's test helpers may call t.Fatal -> runtime.Goexit.
func evaluateCase(t *caseFailer, c *Case, out *Output) {
	gw := gatewayOrDefault(c.Gateway)
	now := time.Now().UTC().Truncate(time.Second)
	p, err := parseObjects(c.Objects, now)
	if err != nil {
		out.Error = err.Error()
		return
	}
	var workload *sidecarWorkload
	if c.Sidecar != nil {
		if workload, err = prepareSidecar(p, *c.Sidecar); err != nil {
			out.Error = err.Error()
			return
		}
	}
	analysisObjects := c.Objects
	var gatewayAPI *gatewayAPIWorkload
	if c.GatewayAPI != nil {
		if gatewayAPI, err = prepareGatewayAPI(p, *c.GatewayAPI); err != nil {
			out.Error = err.Error()
			return
		}
		extra, err := gatewayAPI.analysisObjects()
		if err != nil {
			out.Error = err.Error()
			return
		}
		analysisObjects += "\n---\n" + extra
	}
	var ambientNotes []string
	if c.Ambient {
		if ambientNotes, err = ambientObjects(p); err != nil {
			out.Error = err.Error()
			return
		}
	}
	out.Messages = append(out.Messages, validateConfigs(p.istio)...)
	t0 := time.Now()
	am, err := analyze(analysisObjects, gw)
	debugf("case %q: analysis %v", c.ID, time.Since(t0))
	if err != nil {
		out.Error = err.Error()
		return
	}
	out.Messages = append(out.Messages, am...)
	sortMessages(out.Messages)

	fds := newFakeDiscovery(t, p)
	var httpRoutes *httpRouteIndex
	if hasGatewayAPIObjects(p) {
		st, err := gatewayAPIStatus(t, fds, p)
		if err != nil {
			out.Error = err.Error()
			return
		}
		out.GatewayAPIStatus = &st
		httpRoutes = newHTTPRouteIndex(fds, p)
	}
	if c.Ambient {
		out.Ambient = evaluateAmbient(t, fds, p, ambientNotes)
		if workload == nil && len(c.Requests) == 0 && len(c.Clusters) == 0 && len(c.ListenerPorts) == 0 && !c.RouteTable {
			return // an ambient-only case: no gateway needed
		}
	}
	if workload != nil {
		t0 = time.Now()
		listeners, info := buildSidecar(fds, workload)
		rbac, problem := inboundRBAC(listeners, workload.spec.Ports)
		if problem != "" {
			info.Notes = append(info.Notes, problem)
		}
		out.Sidecar = &info
		out.InboundRBAC = &rbac
		debugf("case %q: sidecar config generation %v", c.ID, time.Since(t0))
		if len(c.Requests) == 0 && len(c.Clusters) == 0 && len(c.ListenerPorts) == 0 && !c.RouteTable {
			return // a sidecar-only case: no gateway needed
		}
	}

	t0 = time.Now()
	var view *gatewayView
	if gatewayAPI != nil {
		view = buildGatewayAPIGateway(fds, gatewayAPI)
	} else {
		view = buildGateway(fds, gw)
	}
	debugf("case %q: istiod config generation %v", c.ID, time.Since(t0))
	t0 = time.Now()
	defer func() { debugf("case %q: %d requests %v", c.ID, len(c.Requests), time.Since(t0)) }()
	for _, r := range c.Requests {
		var res Result
		if err := runGuarded(func() { res = evaluateRequest(view, r) }); err != nil {
			res = Result{Outcome: OutcomeError, Path: r.Path, Detail: "evaluation failed: " + err.Error(), WeightedClusters: []WeightedCluster{}}
		}
		markMissingClusters(view, &res)
		if httpRoutes != nil {
			res.HTTPRoute = httpRoutes.httpRouteOf(res.VirtualService, res.RouteName)
		}
		out.Results = append(out.Results, res)
	}
	inspectGateway(view, c, out)
}

func sortMessages(ms []Message) {
	sort.SliceStable(ms, func(i, j int) bool {
		if ms[i].Source != ms[j].Source {
			return ms[i].Source > ms[j].Source // validation before analysis
		}
		return false
	})
}
