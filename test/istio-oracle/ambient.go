package main

// Ambient mode: with "ambient": true a case runs in an istiod built with PILOT_ENABLE_AMBIENT=true (see
// ambient_process.go), and the oracle reports what Istio's own code makes of the case's ambient workloads,
// waypoints and policies: the ztunnel's xDS (WDS addresses and authorizations) from istiod's generators, the
// status conditions istiod writes on AuthorizationPolicies and Services, istio-cni's enrolment verdict, and the
// L7 RBAC filters istiod generates for each waypoint proxy.

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"net/netip"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	"sigs.k8s.io/yaml"

	"istio.io/api/annotation"
	"istio.io/api/label"
	securityv1beta1 "istio.io/api/security/v1beta1"
	networkingclient "istio.io/client-go/pkg/apis/networking/v1"
	securityclient "istio.io/client-go/pkg/apis/security/v1"
	cniutil "istio.io/istio/cni/pkg/util"
	"istio.io/istio/manifests"
	"istio.io/istio/pilot/pkg/config/kube/crd"
	"istio.io/istio/pilot/pkg/features"
	"istio.io/istio/pilot/pkg/model"
	"istio.io/istio/pilot/pkg/serviceregistry/ambient"
	v3 "istio.io/istio/pilot/pkg/xds/v3"
	"istio.io/istio/pilot/test/xds"
	"istio.io/istio/pkg/config"
	"istio.io/istio/pkg/config/analysis"
	"istio.io/istio/pkg/config/analysis/analyzers/conditions"
	"istio.io/istio/pkg/config/analysis/local"
	"istio.io/istio/pkg/config/constants"
	"istio.io/istio/pkg/config/mesh"
	"istio.io/istio/pkg/config/mesh/meshwatcher"
	"istio.io/istio/pkg/config/resource"
	"istio.io/istio/pkg/config/schema/gvk"
	kubelib "istio.io/istio/pkg/kube"
	"istio.io/istio/pkg/kube/krt"
	"istio.io/istio/pkg/util/sets"
	"istio.io/istio/pkg/workloadapi"
)

// AmbientView is the "ambient" verdict.
type AmbientView struct {
	// Source says where each part comes from (see README, "Ambient").
	Source    AmbientSources    `json:"source"`
	Workloads []AmbientWorkload `json:"workloads"`
	Services  []AmbientService  `json:"services"`
	Waypoints []AmbientWaypoint `json:"waypoints"`
	Policies  []AmbientPolicy   `json:"policies"`
	// ZtunnelPolicies: every authorization resource ztunnel receives, sorted by name, including those istiod
	// makes itself (istio-system/istio_converted_static_strict, a waypoint's implicit allow policy).
	ZtunnelPolicies []NamedConfig `json:"ztunnelPolicies"`
	// Analysis: istioctl analyze's ConditionAnalyzer (IST0171) on the case's AuthorizationPolicies and Services
	// carrying the conditions istiod writes on them.
	Analysis []Message `json:"analysis"`
	// Notes: what the oracle filled in for objects a running cluster would have completed.
	Notes []string `json:"notes,omitempty"`
}

type AmbientSources struct {
	Workloads string `json:"workloads"`
	Policies  string `json:"policies"`
	Waypoints string `json:"waypoints"`
}

// AmbientWorkload is one Pod as ztunnel receives it (a WDS Workload), with istio-cni's enrolment verdict.
type AmbientWorkload struct {
	Name      string `json:"name"`
	Namespace string `json:"namespace"`
	UID       string `json:"uid"`
	// TunnelProtocol is HBONE when ztunnel captures the pod (its traffic is carried over HBONE mTLS), else NONE.
	TunnelProtocol string `json:"tunnelProtocol"`
	// CapturedByZtunnel: TunnelProtocol is HBONE.
	CapturedByZtunnel bool `json:"capturedByZtunnel"`
	// Waypoint: the waypoint's "<namespace>/<hostname>" (or "<network>/<ip>") from the Workload, "" for none.
	Waypoint       string `json:"waypoint"`
	ServiceAccount string `json:"serviceAccount"`
	// AuthorizationPolicies: the ztunnel policies ("<namespace>/<name>") the Workload names.
	AuthorizationPolicies []string `json:"authorizationPolicies"`
	Services              []string `json:"services"`
	// RedirectionAnnotation: the Pod's ambient.istio.io/redirection annotation (istio-cni writes it), "" if none.
	RedirectionAnnotation string `json:"redirectionAnnotation"`
	// CNIEnrolls: istio-cni's default enablement selectors (its chart's values) select the Pod.
	CNIEnrolls bool `json:"cniEnrolls"`
	// Workload is the WDS resource itself (protojson, proto field names).
	Workload json.RawMessage `json:"workload"`
}

// AmbientService is one Service as ztunnel receives it, with the waypoint condition istiod writes on it.
type AmbientService struct {
	Name      string     `json:"name"`
	Namespace string     `json:"namespace"`
	Hostname  string     `json:"hostname"`
	Waypoint  string     `json:"waypoint"`
	Condition *Condition `json:"waypointBound,omitempty"`
}

// AmbientWaypoint is a Gateway istiod takes for a waypoint, with the config it generates for its proxy.
type AmbientWaypoint struct {
	Name      string `json:"name"`
	Namespace string `json:"namespace"`
	// For: the traffic it serves (istio.io/waypoint-for: service (default), workload, all, none).
	For             string   `json:"for"`
	Address         string   `json:"address"`
	ServiceAccounts []string `json:"serviceAccounts"`
	// Proxy: the waypoint proxy's inbound filter chains (listener main_internal) with their RBAC filters.
	Proxy []InboundRBAC `json:"proxy"`
}

// Condition is a status condition as istiod writes it.
type Condition struct {
	Type    string `json:"type"`
	Status  bool   `json:"status"`
	Reason  string `json:"reason"`
	Message string `json:"message"`
}

// AmbientPolicy is one AuthorizationPolicy or PeerAuthentication: what ztunnel gets and the conditions istiod writes.
type AmbientPolicy struct {
	Kind      string `json:"kind"`
	Name      string `json:"name"`
	Namespace string `json:"namespace"`
	// Ztunnel: the resource name and protojson of the L4 policy ztunnel receives for it; omitted when none.
	Ztunnel     *NamedConfig `json:"ztunnel,omitempty"`
	Conditions  []Condition  `json:"conditions"`
	AppliesTo   []string     `json:"appliesTo"`
	Explanation string       `json:"explanation,omitempty"`
}

const (
	sourceWDS        = "xds: istiod's WDS generators (Address, Authorization) as a ztunnel's wildcard subscription receives them"
	sourceConditions = "istiod's ambient status collections (ambient.PolicyCollections, ambient.WaypointPolicyStatusCollection, ServiceInfo.GetConditions)"
	sourceWaypoints  = "istiod's ambient Waypoints collection; proxy config from ConfigGen for a model.Waypoint proxy"
)

// ambientObjects completes the case's objects the way a running ambient cluster would: the ambient index
// reads AuthorizationPolicies, PeerAuthentications, ServiceEntries and WorkloadEntries from the cluster (not
// from istiod's config store), istiod's class controller creates the istio-waypoint GatewayClass, and the
// gateway controller writes a waypoint Gateway's address once its proxy runs. A waypoint Gateway whose status
// has conditions but no address is left as it is: its controller says it is not running. Each fill-in is noted.
func ambientObjects(p *parsedObjects) ([]string, error) {
	var notes []string
	kubeDecode := kubelib.IstioCodec.UniversalDeserializer().Decode
	for _, cfg := range p.istio {
		switch cfg.GroupVersionKind {
		case gvk.AuthorizationPolicy, gvk.PeerAuthentication, gvk.ServiceEntry, gvk.WorkloadEntry:
		default:
			continue
		}
		obj, err := crd.ConvertConfig(cfg)
		if err != nil {
			return nil, fmt.Errorf("%s %s/%s: %v", cfg.GroupVersionKind.Kind, cfg.Namespace, cfg.Name, err)
		}
		js, err := json.Marshal(obj)
		if err != nil {
			return nil, err
		}
		ko, _, err := kubeDecode(js, nil, nil)
		if err != nil {
			return nil, fmt.Errorf("%s %s/%s: %v", cfg.GroupVersionKind.Kind, cfg.Namespace, cfg.Name, err)
		}
		p.kube = append(p.kube, ko)
	}
	hasWaypointClass := false
	for _, o := range p.kube {
		if gc, ok := o.(*gatewayv1.GatewayClass); ok && gc.Name == constants.WaypointGatewayClassName {
			hasWaypointClass = true
		}
	}
	if !hasWaypointClass {
		p.kube = append(p.kube, &gatewayv1.GatewayClass{
			ObjectMeta: metav1.ObjectMeta{Name: constants.WaypointGatewayClassName},
			Spec:       gatewayv1.GatewayClassSpec{ControllerName: constants.ManagedGatewayMeshController},
		})
		notes = append(notes, "GatewayClass istio-waypoint added (istiod creates it)")
	}
	for i, gw := range waypointGateways(p) {
		if len(gw.Status.Addresses) == 0 && len(gw.Status.Conditions) > 0 {
			// the gateway controller has written a status but no address: the waypoint is not running
			continue
		}
		notes = append(notes, deployWaypoint(p, gw, i)...)
	}
	return notes, nil
}

func waypointGateways(p *parsedObjects) []*gatewayv1.Gateway {
	var out []*gatewayv1.Gateway
	for _, o := range p.kube {
		if gw, ok := o.(*gatewayv1.Gateway); ok && string(gw.Spec.GatewayClassName) == constants.WaypointGatewayClassName {
			out = append(out, gw)
		}
	}
	return out
}

// waypointInstanceLabels are the labels istiod's deployment controller puts on a waypoint's Service and Pods.
func waypointInstanceLabels(gw *gatewayv1.Gateway) map[string]string {
	return map[string]string{
		label.IoK8sNetworkingGatewayGatewayName.Name:      gw.Name,
		label.IoK8sNetworkingGatewayGatewayClassName.Name: constants.WaypointGatewayClassName,
		label.GatewayManaged.Name:                         constants.ManagedGatewayMeshControllerLabel,
	}
}

// deployWaypoint completes a waypoint Gateway as istiod's deployment controller and the gateway status
// controller would once its proxy runs (manifests/charts/istio-control/istio-discovery/files/waypoint.yaml):
// a Service named after the Gateway selecting its pods, with a port per listener; a ready Pod with the
// Gateway's service account; and the Gateway's address in its status. What the case already has is kept.
func deployWaypoint(p *parsedObjects, gw *gatewayv1.Gateway, index int) []string {
	var notes []string
	labels := waypointInstanceLabels(gw)
	hasService, hasPod := false, false
	for _, o := range p.kube {
		switch k := o.(type) {
		case *corev1.Service:
			hasService = hasService || (k.Namespace == gw.Namespace && k.Name == gw.Name)
		case *corev1.Pod:
			hasPod = hasPod || (k.Namespace == gw.Namespace && k.Labels[label.IoK8sNetworkingGatewayGatewayName.Name] == gw.Name)
		}
	}
	if !hasService {
		svc := &corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Name: gw.Name, Namespace: gw.Namespace, Labels: labels},
			Spec: corev1.ServiceSpec{
				Selector:  map[string]string{label.IoK8sNetworkingGatewayGatewayName.Name: gw.Name},
				ClusterIP: fmt.Sprintf("10.96.254.%d", index+1),
				Ports:     []corev1.ServicePort{{Name: "status-port", Port: 15021, Protocol: corev1.ProtocolTCP}},
			},
		}
		for _, l := range gw.Spec.Listeners {
			port := corev1.ServicePort{Name: string(l.Name), Port: int32(l.Port), Protocol: corev1.ProtocolTCP}
			if l.Protocol == "HBONE" {
				port.AppProtocol = new("hbone")
			}
			svc.Spec.Ports = append(svc.Spec.Ports, port)
		}
		p.kube = append(p.kube, svc)
		notes = append(notes, fmt.Sprintf("Service %s/%s (clusterIP %s) added for the waypoint (istiod's deployment controller creates it)", gw.Namespace, gw.Name, svc.Spec.ClusterIP))
	}
	if !hasPod {
		ip := fmt.Sprintf("10.10.254.%d", index+1)
		pod := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: gw.Name + "-waypoint-oracle", Namespace: gw.Namespace, Labels: labels},
			Spec:       corev1.PodSpec{ServiceAccountName: gw.Name, Containers: []corev1.Container{{Name: "istio-proxy", Image: "istio/proxyv2"}}},
			Status: corev1.PodStatus{
				Phase: corev1.PodRunning, PodIP: ip, PodIPs: []corev1.PodIP{{IP: ip}},
				Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}},
			},
		}
		p.kube = append(p.kube, pod)
		notes = append(notes, fmt.Sprintf("Pod %s/%s (%s, service account %s) added as the waypoint's running proxy", gw.Namespace, pod.Name, ip, gw.Name))
	}
	if len(gw.Status.Addresses) == 0 {
		host := fmt.Sprintf("%s.%s.svc.cluster.local", gw.Name, gw.Namespace)
		gw.Status.Addresses = []gatewayv1.GatewayStatusAddress{{Type: new(gatewayv1.HostnameAddressType), Value: host}}
		notes = append(notes, fmt.Sprintf("Gateway %s/%s status.addresses set to %s (the gateway controller writes it once the waypoint runs)", gw.Namespace, gw.Name, host))
	}
	return notes
}

// evaluateAmbient reads istiod's ambient view of the case from the fake discovery server.
func evaluateAmbient(t *caseFailer, fds *xds.FakeDiscoveryServer, p *parsedObjects, notes []string) *AmbientView {
	view := &AmbientView{
		Source:    AmbientSources{Workloads: sourceWDS, Policies: sourceWDS + "; conditions: " + sourceConditions, Waypoints: sourceWaypoints},
		Workloads: []AmbientWorkload{}, Services: []AmbientService{}, Waypoints: []AmbientWaypoint{}, Policies: []AmbientPolicy{},
		ZtunnelPolicies: []NamedConfig{}, Notes: notes,
	}
	ztunnel := fds.SetupProxy(&model.Proxy{
		Type: model.Ztunnel, ID: "ztunnel-oracle.istio-system", ConfigNamespace: "istio-system",
		Metadata: &model.NodeMetadata{Namespace: "istio-system"},
	})
	request := &model.PushRequest{Forced: true, Push: fds.PushContext(), Reason: model.NewReasonStats(model.ProxyRequest)}
	addresses := generate(t, fds, ztunnel, v3.AddressType, request)
	authorizations := generate(t, fds, ztunnel, v3.WorkloadAuthorizationType, request)

	pods := map[string]*corev1.Pod{}
	namespaceLabels := map[string]map[string]string{}
	for _, o := range p.kube {
		switch k := o.(type) {
		case *corev1.Pod:
			pods[k.Namespace+"/"+k.Name] = k
		case *corev1.Namespace:
			namespaceLabels[k.Name] = k.Labels
		}
	}
	enrol := cniEnablement(t)
	for _, a := range addresses {
		addr := &workloadapi.Address{}
		if err := a.GetResource().UnmarshalTo(addr); err != nil {
			t.Fatalf("WDS address %s: %v", a.GetName(), err)
		}
		if w := addr.GetWorkload(); w != nil {
			view.Workloads = append(view.Workloads, describeWorkload(w, pods[w.GetNamespace()+"/"+w.GetName()], namespaceLabels, enrol))
		}
		if s := addr.GetService(); s != nil {
			svc := AmbientService{Name: s.GetName(), Namespace: s.GetNamespace(), Hostname: s.GetHostname(), Waypoint: gatewayAddress(s.GetWaypoint())}
			if info := fds.Env().AmbientIndexes.ServiceInfo(s.GetNamespace() + "/" + s.GetHostname()); info != nil {
				svc.Condition = firstCondition(info.GetConditions(nil))
			}
			view.Services = append(view.Services, svc)
		}
	}
	sort.Slice(view.Workloads, func(i, j int) bool { return view.Workloads[i].UID < view.Workloads[j].UID })
	sort.Slice(view.Services, func(i, j int) bool { return view.Services[i].Hostname < view.Services[j].Hostname })

	ztunnelPolicies := map[string]NamedConfig{}
	for _, a := range authorizations {
		js, problem := protoJSON(a.GetResource())
		if problem != "" {
			t.Fatalf("ztunnel policy %s: %s", a.GetName(), problem)
		}
		ztunnelPolicies[a.GetName()] = NamedConfig{Name: a.GetName(), Config: js}
		view.ZtunnelPolicies = append(view.ZtunnelPolicies, ztunnelPolicies[a.GetName()])
	}
	sort.Slice(view.ZtunnelPolicies, func(i, j int) bool { return view.ZtunnelPolicies[i].Name < view.ZtunnelPolicies[j].Name })
	status := buildAmbientStatus(t, p)
	view.Policies = describePolicies(p, status, ztunnelPolicies, view.Workloads)
	for _, w := range status.waypoints.List() {
		view.Waypoints = append(view.Waypoints, describeWaypoint(fds, w, waypointInstance(p, w)))
	}
	sort.Slice(view.Waypoints, func(i, j int) bool {
		return view.Waypoints[i].Namespace+"/"+view.Waypoints[i].Name < view.Waypoints[j].Namespace+"/"+view.Waypoints[j].Name
	})
	analysis, err := conditionAnalysis(view)
	if err != nil {
		t.Fatalf("condition analysis: %v", err)
	}
	view.Analysis = analysis
	return view
}

// conditionAnalysis runs istioctl analyze's ConditionAnalyzer on the AuthorizationPolicies and Services of the
// view, each carrying the conditions istiod writes on it, as `istioctl analyze` against the cluster would see them.
func conditionAnalysis(view *AmbientView) ([]Message, error) {
	var docs []string
	add := func(apiVersion, kind, namespace, name string, conds []Condition) error {
		if len(conds) == 0 {
			return nil
		}
		var status []map[string]any
		for _, c := range conds {
			status = append(status, map[string]any{"type": c.Type, "status": conditionStatus(c.Status), "reason": c.Reason, "message": c.Message})
		}
		doc, err := yaml.Marshal(map[string]any{
			"apiVersion": apiVersion, "kind": kind,
			"metadata": map[string]any{"name": name, "namespace": namespace},
			"spec":     map[string]any{},
			"status":   map[string]any{"conditions": status},
		})
		docs = append(docs, string(doc))
		return err
	}
	for _, pol := range view.Policies {
		if pol.Kind != "AuthorizationPolicy" {
			continue
		}
		if err := add("security.istio.io/v1", pol.Kind, pol.Namespace, pol.Name, pol.Conditions); err != nil {
			return nil, err
		}
	}
	for _, svc := range view.Services {
		if svc.Condition == nil {
			continue
		}
		if err := add("v1", "Service", svc.Namespace, svc.Name, []Condition{*svc.Condition}); err != nil {
			return nil, err
		}
	}
	out := []Message{}
	if len(docs) == 0 {
		return out, nil
	}
	sa := local.NewIstiodAnalyzer(analysis.Combine("conditions", &conditions.ConditionAnalyzer{}), "", resource.Namespace("istio-system"), nil)
	if err := sa.AddTestReaderKubeSource([]local.ReaderSource{{Name: "ambient-status", Reader: strings.NewReader(strings.Join(docs, "---\n"))}}); err != nil {
		return nil, err
	}
	cancel := make(chan struct{})
	defer close(cancel)
	res, err := sa.Analyze(cancel)
	if err != nil {
		return nil, err
	}
	for _, m := range res.Messages {
		out = append(out, analysisMessage(m))
	}
	return out, nil
}

func conditionStatus(b bool) string {
	if b {
		return string(metav1.ConditionTrue)
	}
	return string(metav1.ConditionFalse)
}

// generate runs istiod's generator for typeURL as for a ztunnel's first wildcard request.
func generate(t *caseFailer, fds *xds.FakeDiscoveryServer, proxy *model.Proxy, typeURL string, req *model.PushRequest) model.Resources {
	gen, ok := fds.Discovery.Generators[typeURL]
	if !ok {
		t.Fatalf("istiod has no generator for %s", typeURL)
	}
	res, _, err := gen.Generate(proxy, &model.WatchedResource{TypeUrl: typeURL, Wildcard: true, ResourceNames: sets.New[string]()}, req)
	if err != nil {
		t.Fatalf("generating %s: %v", typeURL, err)
	}
	return res
}

func describeWorkload(w *workloadapi.Workload, pod *corev1.Pod, namespaceLabels map[string]map[string]string, enrol *cniutil.CompiledEnablementSelectors) AmbientWorkload {
	js, _ := protoJSON(w)
	out := AmbientWorkload{
		Name: w.GetName(), Namespace: w.GetNamespace(), UID: w.GetUid(),
		TunnelProtocol:        w.GetTunnelProtocol().String(),
		CapturedByZtunnel:     w.GetTunnelProtocol() == workloadapi.TunnelProtocol_HBONE,
		Waypoint:              gatewayAddress(w.GetWaypoint()),
		ServiceAccount:        w.GetServiceAccount(),
		AuthorizationPolicies: append([]string{}, w.GetAuthorizationPolicies()...),
		Services:              sets.SortedList(sets.New(mapsKeys(w.GetServices())...)),
		Workload:              js,
	}
	if pod != nil {
		out.RedirectionAnnotation = pod.Annotations[annotation.AmbientRedirection.Name]
		out.CNIEnrolls = enrol.Matches(pod, namespaceLabels[pod.Namespace])
	}
	return out
}

func mapsKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func gatewayAddress(g *workloadapi.GatewayAddress) string {
	if g == nil {
		return ""
	}
	if h := g.GetHostname(); h != nil {
		return h.GetNamespace() + "/" + h.GetHostname()
	}
	if a := g.GetAddress(); a != nil {
		ip, _ := netip.AddrFromSlice(a.GetAddress())
		return a.GetNetwork() + "/" + ip.String()
	}
	return ""
}

func firstCondition(set model.ConditionSet) *Condition {
	conds := conditionList(set)
	if len(conds) == 0 {
		return nil
	}
	return &conds[0]
}

// conditionList turns istiod's condition set into the conditions it writes (nil entries are removals).
func conditionList(set model.ConditionSet) []Condition {
	out := []Condition{}
	for typ, c := range set {
		if c == nil {
			continue
		}
		out = append(out, Condition{Type: string(typ), Status: c.Status, Reason: c.Reason, Message: c.Message})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Type < out[j].Type })
	return out
}

// cniEnablement compiles istio-cni's default ambient enablement selectors, read from the istio-cni chart's
// values.yaml embedded in Istio's module (the selectors the node agent enrols pods by).
func cniEnablement(t *caseFailer) *cniutil.CompiledEnablementSelectors {
	raw, err := fs.ReadFile(manifests.FS, "charts/istio-cni/values.yaml")
	if err != nil {
		t.Fatalf("istio-cni chart values: %v", err)
	}
	var values struct {
		Defaults struct {
			Ambient struct {
				EnablementSelectors []cniutil.EnablementSelector `json:"enablementSelectors"`
			} `json:"ambient"`
		} `json:"_internal_defaults_do_not_set"`
	}
	if err := yaml.Unmarshal(raw, &values); err != nil {
		t.Fatalf("istio-cni chart values: %v", err)
	}
	compiled, err := cniutil.NewCompiledEnablementSelectors(values.Defaults.Ambient.EnablementSelectors)
	if err != nil || len(values.Defaults.Ambient.EnablementSelectors) == 0 {
		t.Fatalf("istio-cni enablement selectors: %v (%d)", err, len(values.Defaults.Ambient.EnablementSelectors))
	}
	return compiled
}

// ambientStatus holds istiod's ambient status collections, built over the case's objects with the exported
// constructors ambient.New wires to its status queue. The fake discovery server's own status queue never
// writes (its notifier is inactive), so the conditions are read from these collections instead.
type ambientStatus struct {
	ztunnel   krt.Collection[model.WorkloadAuthorization]
	waypoint  krt.Collection[model.WaypointPolicyStatus]
	waypoints krt.Collection[ambient.Waypoint]
}

func staticOf[T any](objs []runtime.Object, opts krt.OptionsBuilder, name string) krt.Collection[T] {
	var vals []T
	for _, o := range objs {
		if v, ok := o.(T); ok {
			vals = append(vals, v)
		}
	}
	return krt.NewStaticCollection[T](nil, vals, opts.WithName(name)...)
}

func buildAmbientStatus(t *caseFailer, p *parsedObjects) ambientStatus {
	stop := make(chan struct{})
	t.Cleanup(func() { close(stop) })
	opts := krt.NewOptionsBuilder(stop, "oracle-ambient-status", nil)
	meshConfig := meshwatcher.NewTestWatcher(mesh.DefaultMeshConfig())
	authz := staticOf[*securityclient.AuthorizationPolicy](p.kube, opts, "AuthorizationPolicies")
	peerAuths := staticOf[*securityclient.PeerAuthentication](p.kube, opts, "PeerAuthentications")
	namespaces := staticOf[*corev1.Namespace](p.kube, opts, "Namespaces")
	gateways := staticOf[*gatewayv1.Gateway](p.kube, opts, "Gateways")
	classes := staticOf[*gatewayv1.GatewayClass](p.kube, opts, "GatewayClasses")
	pods := staticOf[*corev1.Pod](p.kube, opts, "Pods")
	services := staticOf[*corev1.Service](p.kube, opts, "Services")
	serviceEntries := staticOf[*networkingclient.ServiceEntry](p.kube, opts, "ServiceEntries")
	network := krt.NewStatic[ambient.ClusterNetwork](&ambient.ClusterNetwork{}, true, opts.WithName("Network")...)
	builder := ambient.Builder{DomainSuffix: "cluster.local", Networks: ambient.NetworkCollections{LocalSystemNamespace: network}}
	waypoints := builder.WaypointsCollection("Kubernetes", gateways, classes, pods, opts)
	flags := ambient.FeatureFlags{DefaultAllowFromWaypoint: features.DefaultAllowFromWaypoint}
	ztunnel, _ := ambient.PolicyCollections(authz, peerAuths, meshConfig, waypoints, opts, flags)
	visibility := model.ServiceEntryVisibilityCollection(meshConfig.AsCollection(), opts)
	waypoint := ambient.WaypointPolicyStatusCollection(authz, waypoints, services, serviceEntries, classes, meshConfig, visibility, namespaces, opts)
	for _, c := range []interface{ WaitUntilSynced(<-chan struct{}) bool }{ztunnel, waypoint, waypoints} {
		if !c.WaitUntilSynced(stop) {
			t.Fatalf("ambient status collections did not sync")
		}
	}
	return ambientStatus{ztunnel: ztunnel, waypoint: waypoint, waypoints: waypoints}
}

func describePolicies(p *parsedObjects, status ambientStatus, ztunnel map[string]NamedConfig, workloads []AmbientWorkload) []AmbientPolicy {
	out := []AmbientPolicy{}
	for _, cfg := range p.istio {
		var pol AmbientPolicy
		var ztunnelName string
		switch cfg.GroupVersionKind {
		case gvk.AuthorizationPolicy:
			pol = AmbientPolicy{Kind: "AuthorizationPolicy", Name: cfg.Name, Namespace: cfg.Namespace, Conditions: []Condition{}}
			ztunnelName = cfg.Namespace + "/" + cfg.Name
			key := cfg.Namespace + "/" + cfg.Name
			for _, wa := range status.ztunnel.List() {
				if wa.Source.Namespace+"/"+wa.Source.Name == key {
					pol.Conditions = append(pol.Conditions, conditionList(wa.GetConditions(nil))...)
				}
			}
			if ws := status.waypoint.GetKey(key); ws != nil {
				pol.Conditions = append(pol.Conditions, conditionList(ws.GetConditions(nil))...)
			}
			if len(pol.Conditions) == 0 {
				pol.Explanation = "istiod writes no ambient condition for this policy"
			}
		case gvk.PeerAuthentication:
			pol = AmbientPolicy{Kind: "PeerAuthentication", Name: cfg.Name, Namespace: cfg.Namespace, Conditions: []Condition{}}
			ztunnelName = cfg.Namespace + "/" + model.GetAmbientPolicyConfigName(model.ConfigKey{Kind: gvk.MustToKind(gvk.PeerAuthentication), Name: cfg.Name, Namespace: cfg.Namespace})
			_, converted := ztunnel[ztunnelName]
			pol.Explanation = peerAuthenticationExplanation(cfg, converted)
		default:
			continue
		}
		if z, ok := ztunnel[ztunnelName]; ok {
			pol.Ztunnel = &z
		}
		pol.AppliesTo = []string{}
		for _, w := range workloads {
			for _, ref := range w.AuthorizationPolicies {
				if ref == ztunnelName {
					pol.AppliesTo = append(pol.AppliesTo, w.Namespace+"/"+w.Name)
				}
			}
		}
		out = append(out, pol)
	}
	return out
}

const staticStrictPolicy = "istio-system/istio_converted_static_strict"

// peerAuthenticationExplanation says how istiod carried a PeerAuthentication to ztunnel (ambient.PolicyCollections,
// convertPeerAuthentication): STRICT reaches a workload as the shared static STRICT policy it names; only a
// workload-selector policy outside the root namespace with portLevelMtls can become a policy of its own, and
// only when a port is less strict than the policy (or stricter than a permissive one). istiod writes no
// status condition for PeerAuthentications.
func peerAuthenticationExplanation(cfg config.Config, converted bool) string {
	pa, _ := cfg.Spec.(interface {
		GetPortLevelMtls() map[uint32]*securityv1beta1.PeerAuthentication_MutualTLS
	})
	switch {
	case converted:
		return "converted to a ztunnel policy of its own, carrying its port-level mTLS modes"
	case pa == nil || len(pa.GetPortLevelMtls()) == 0:
		return "no policy of its own: a STRICT mode reaches workloads as " + staticStrictPolicy
	default:
		return "its portLevelMtls produced no ztunnel policy (Istio drops it when the policy has no workload selector, sits in the root namespace, or no port differs from the effective mode)"
	}
}

// waypointInstance is a running Pod of the waypoint, nil when there is none.
func waypointInstance(p *parsedObjects, w ambient.Waypoint) *corev1.Pod {
	for _, o := range p.kube {
		if pod, ok := o.(*corev1.Pod); ok && pod.Namespace == w.Namespace && pod.Labels[label.IoK8sNetworkingGatewayGatewayName.Name] == w.Name && pod.Status.PodIP != "" {
			return pod
		}
	}
	return nil
}

// describeWaypoint generates the waypoint proxy's listeners and returns its inbound chains with their RBAC filters.
func describeWaypoint(fds *xds.FakeDiscoveryServer, w ambient.Waypoint, instance *corev1.Pod) AmbientWaypoint {
	out := AmbientWaypoint{
		Name: w.Name, Namespace: w.Namespace, For: w.TrafficType, Address: gatewayAddress(w.Address),
		ServiceAccounts: append([]string{}, w.ServiceAccounts...), Proxy: []InboundRBAC{},
	}
	labels := map[string]string{
		label.IoK8sNetworkingGatewayGatewayName.Name: w.Name,
		label.GatewayManaged.Name:                    constants.ManagedGatewayMeshControllerLabel,
	}
	id, ips := w.Name+"-oracle."+w.Namespace, []string(nil)
	if pod := instance; pod != nil {
		id, ips, labels = pod.Name+"."+pod.Namespace, []string{pod.Status.PodIP}, pod.Labels
	}
	proxy := fds.SetupProxy(&model.Proxy{
		Type: model.Waypoint, ID: id, IPAddresses: ips, ConfigNamespace: w.Namespace, Labels: labels,
		Metadata: &model.NodeMetadata{Labels: labels, Namespace: w.Namespace},
	})
	for _, l := range fds.Listeners(proxy) {
		if l.GetName() != "main_internal" {
			continue
		}
		for _, fc := range l.GetFilterChains() {
			out.Proxy = append(out.Proxy, describeInboundChain(fc, 0, false))
		}
	}
	return out
}
