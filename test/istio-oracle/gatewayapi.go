package main

// Gateway API (gateway.networking.k8s.io) objects: they reach istiod the way they reach it in a
// cluster, as Kubernetes objects its gateway controller watches; the case's "gatewayApi" names a
// Gateway whose router proxy is simulated; the status istiod's gateway controller computes for
// each Gateway API object is returned as Istio would write it.

import (
	"cmp"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"unsafe"

	envoyroute "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	k8sschema "k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/intstr"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"istio.io/api/annotation"
	"istio.io/api/label"
	"istio.io/istio/pilot/pkg/config/kube/gateway"
	"istio.io/istio/pilot/pkg/model"
	kubecontroller "istio.io/istio/pilot/pkg/serviceregistry/kube/controller"
	"istio.io/istio/pilot/pkg/status"
	"istio.io/istio/pilot/test/xds"
	"istio.io/istio/pkg/config/constants"
	"istio.io/istio/pkg/config/schema/collections"
	"istio.io/istio/pkg/config/schema/gvk"
	sresource "istio.io/istio/pkg/config/schema/resource"
	kubelib "istio.io/istio/pkg/kube"
	"istio.io/istio/pkg/ptr"
	"istio.io/istio/pkg/spiffe"
	"istio.io/istio/pkg/test"
)

const gatewayAPIGroup = "gateway.networking.k8s.io"

// GatewayAPISpec (case field "gatewayApi") names the Gateway API Gateway whose router proxy to
// simulate instead of the Istio ingress gateway.
type GatewayAPISpec struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
}

// GatewayAPIObjectStatus is the status istiod's gateway controller computed for one Gateway API
// object of the case, as it would write it to the object's status subresource.
type GatewayAPIObjectStatus struct {
	Kind      string `json:"kind"`
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	// Status is null when the controller writes none: the object is not Istio's (e.g. a Gateway of
	// another class), or its given status already is what Istio computes.
	Status json.RawMessage `json:"status"`
}

// gatewayAPISchema finds the schema of a Gateway API kind in istiod's Gateway API collections.
func gatewayAPISchema(kind string) (sresource.Schema, bool) {
	for _, s := range collections.PilotGatewayAPI().All() {
		if s.Group() == gatewayAPIGroup && s.Kind() == kind {
			return s, true
		}
	}
	return nil, false
}

// normalizeGatewayAPIDocument puts a Gateway API document in the version istiod watches, as the
// API server serves it: Gateway API CRDs convert between versions with strategy None, so every
// served version holds the same object. A status in the document is kept; istiod reads some of it
// (a waypoint's status.addresses) like any informer would.
func normalizeGatewayAPIDocument(raw map[string]any, kind string) error {
	s, ok := gatewayAPISchema(kind)
	if !ok {
		return fmt.Errorf("unsupported Gateway API kind %s (istiod watches %s)", kind, strings.Join(gatewayAPIKinds(), ", "))
	}
	raw["apiVersion"] = s.APIVersion()
	return nil
}

func gatewayAPIKinds() []string {
	var kinds []string
	for _, s := range collections.PilotGatewayAPI().All() {
		if s.Group() == gatewayAPIGroup {
			kinds = append(kinds, s.Kind())
		}
	}
	sort.Strings(kinds)
	return kinds
}

func hasGatewayAPIObjects(p *parsedObjects) bool {
	for _, o := range p.kube {
		if kindOf(o).Group == gatewayAPIGroup {
			return true
		}
	}
	return false
}

func kindOf(o runtime.Object) k8sschema.GroupVersionKind {
	kinds, _, err := kubelib.IstioScheme.ObjectKinds(o)
	if err != nil || len(kinds) == 0 {
		return o.GetObjectKind().GroupVersionKind()
	}
	return kinds[0]
}

// ---------------------------------------------------------------------------
// The Gateway's router proxy.

const (
	gatewayAPIProxyIP = "10.10.0.2"
	// gatewayAPIClusterIP stands for the address the API server allocates to the Gateway's Service.
	gatewayAPIClusterIP = "10.96.0.250"
)

// gatewayAPIWorkload is what runs for a managed Gateway in a cluster: the Service and a Pod of
// the Deployment that Istio's deployment controller creates (shaped after Istio's kube-gateway
// template), and the EndpointSlice Kubernetes' EndpointSlice controller makes of them. The fake
// discovery server runs neither controller, so the oracle adds the three objects.
type gatewayAPIWorkload struct {
	service   *corev1.Service
	pod       *corev1.Pod
	endpoints *discoveryv1.EndpointSlice
	sa        string
}

// prepareGatewayAPI finds the case's Gateway and adds its Service, Pod and EndpointSlice to the
// objects that istiod (and the analyzers) see.
func prepareGatewayAPI(p *parsedObjects, spec GatewayAPISpec) (*gatewayAPIWorkload, error) {
	if spec.Name == "" {
		return nil, fmt.Errorf("gatewayApi.name is required")
	}
	if spec.Namespace == "" {
		spec.Namespace = defaultNamespace
	}
	var gw *gatewayv1.Gateway
	for _, o := range p.kube {
		if g, ok := o.(*gatewayv1.Gateway); ok && g.Namespace == spec.Namespace && g.Name == spec.Name {
			gw = g
		}
	}
	if gw == nil {
		return nil, fmt.Errorf("gatewayApi: no Gateway %s/%s among the objects", spec.Namespace, spec.Name)
	}
	if len(gw.Spec.Addresses) > 0 {
		return nil, fmt.Errorf("gatewayApi: Gateway %s/%s has spec.addresses; only managed Gateways (Istio deploys the proxy) are simulated", gw.Namespace, gw.Name)
	}
	// Istio names the Deployment, Service and ServiceAccount "<gateway>-<class>" (gatewaycommon.GetDefaultName).
	name := gw.Name + "-" + string(gw.Spec.GatewayClassName)
	if o := gw.Annotations[annotation.GatewayNameOverride.Name]; o != "" {
		name = o
	}
	sa := name
	if o := gw.Annotations[annotation.GatewayServiceAccount.Name]; o != "" {
		sa = o
	}
	for _, o := range p.kube {
		if svc, ok := o.(*corev1.Service); ok && svc.Namespace == gw.Namespace && svc.Name == name {
			return nil, fmt.Errorf("gatewayApi: the objects already hold Service %s/%s, which Istio creates for the Gateway", gw.Namespace, name)
		}
	}
	gatewayLabels := map[string]string{
		label.IoK8sNetworkingGatewayGatewayName.Name:      gw.Name,
		label.IoK8sNetworkingGatewayGatewayClassName.Name: string(gw.Spec.GatewayClassName),
	}
	podLabels := map[string]string{
		label.SidecarInject.Name:            "false",
		label.ServiceCanonicalName.Name:     name,
		label.ServiceCanonicalRevision.Name: "latest",
		label.GatewayManaged.Name:           constants.ManagedGatewayControllerLabel,
	}
	for k, v := range gatewayLabels {
		podLabels[k] = v
	}
	serviceType := corev1.ServiceTypeLoadBalancer
	if t := gw.Annotations[annotation.NetworkingServiceType.Name]; t != "" {
		serviceType = corev1.ServiceType(t)
	}
	svc := &corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: gw.Namespace, Labels: gatewayLabels, CreationTimestamp: gw.CreationTimestamp},
		Spec: corev1.ServiceSpec{
			Selector:  map[string]string{label.IoK8sNetworkingGatewayGatewayName.Name: gw.Name},
			Ports:     gatewayServicePorts(gw),
			Type:      serviceType,
			ClusterIP: gatewayAPIClusterIP,
		},
	}
	pod := &corev1.Pod{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{Name: name + "-oracle", Namespace: gw.Namespace, Labels: podLabels, CreationTimestamp: gw.CreationTimestamp},
		Spec: corev1.PodSpec{
			ServiceAccountName: sa,
			Containers: []corev1.Container{{
				Name:  "istio-proxy",
				Image: "istio/proxyv2",
				Args:  []string{"proxy", "router"},
				Ports: []corev1.ContainerPort{{Name: "status-port", ContainerPort: 15021, Protocol: corev1.ProtocolTCP}},
			}},
		},
		Status: corev1.PodStatus{
			Phase:      corev1.PodRunning,
			PodIP:      gatewayAPIProxyIP,
			PodIPs:     []corev1.PodIP{{IP: gatewayAPIProxyIP}},
			Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}},
		},
	}
	eps := gatewayEndpointSlice(svc, pod)
	p.kube = append(p.kube, svc, pod, eps)
	return &gatewayAPIWorkload{service: svc, pod: pod, endpoints: eps, sa: sa}, nil
}

// gatewayEndpointSlice is the EndpointSlice of the Gateway's Service with its ready Pod.
func gatewayEndpointSlice(svc *corev1.Service, pod *corev1.Pod) *discoveryv1.EndpointSlice {
	ready := true
	eps := &discoveryv1.EndpointSlice{
		TypeMeta: metav1.TypeMeta{APIVersion: "discovery.k8s.io/v1", Kind: "EndpointSlice"},
		ObjectMeta: metav1.ObjectMeta{
			Name: svc.Name + "-oracle", Namespace: svc.Namespace, CreationTimestamp: svc.CreationTimestamp,
			Labels: map[string]string{discoveryv1.LabelServiceName: svc.Name, discoveryv1.LabelManagedBy: "endpointslice-controller.k8s.io"},
		},
		AddressType: discoveryv1.AddressTypeIPv4,
		Endpoints: []discoveryv1.Endpoint{{
			Addresses:  []string{pod.Status.PodIP},
			Conditions: discoveryv1.EndpointConditions{Ready: &ready},
			TargetRef:  &corev1.ObjectReference{Kind: "Pod", Namespace: pod.Namespace, Name: pod.Name},
		}},
	}
	for _, sp := range svc.Spec.Ports {
		eps.Ports = append(eps.Ports, discoveryv1.EndpointPort{
			Name: ptr.Of(sp.Name), Port: ptr.Of(sp.TargetPort.IntVal), Protocol: ptr.Of(sp.Protocol), AppProtocol: sp.AppProtocol,
		})
	}
	return eps
}

// gatewayServicePorts mirrors Istio's deployment controller: the status port, then one port per
// distinct listener port, named after the listener, with the listener's protocol as appProtocol.
// targetPort is set to the port, as the API server defaults it.
func gatewayServicePorts(gw *gatewayv1.Gateway) []corev1.ServicePort {
	tcp := "tcp"
	ports := []corev1.ServicePort{{Name: "status-port", Port: 15021, TargetPort: intstr.FromInt32(15021), Protocol: corev1.ProtocolTCP, AppProtocol: &tcp}}
	seenPorts := map[int32]bool{}
	usedNames := map[string]bool{"status-port": true}
	for _, l := range gw.Spec.Listeners {
		if seenPorts[int32(l.Port)] {
			continue
		}
		seenPorts[int32(l.Port)] = true
		name := strings.ReplaceAll(string(l.Name), ".", "-")
		if usedNames[name] {
			name = fmt.Sprintf("%s-%d", name, l.Port)
		}
		usedNames[name] = true
		appProtocol := strings.ToLower(string(l.Protocol))
		ports = append(ports, corev1.ServicePort{
			Name: name, Port: int32(l.Port), TargetPort: intstr.FromInt32(int32(l.Port)),
			Protocol: corev1.ProtocolTCP, AppProtocol: &appProtocol,
		})
	}
	return ports
}

// analysisObjects is the Gateway's Service and Pod as YAML (JSON documents), for the analyzers.
func (w *gatewayAPIWorkload) analysisObjects() (string, error) {
	var docs []string
	for _, o := range []any{w.service, w.pod, w.endpoints} {
		js, err := json.Marshal(o)
		if err != nil {
			return "", err
		}
		docs = append(docs, string(js))
	}
	return strings.Join(docs, "\n---\n"), nil
}

// buildGatewayAPIGateway runs istiod's config generation for the Gateway's router proxy: the
// Pod's labels, namespace, IP and identity, as the proxy of Istio's Deployment would present them.
func buildGatewayAPIGateway(fds *xds.FakeDiscoveryServer, w *gatewayAPIWorkload) *gatewayView {
	ns := w.pod.Namespace
	identity := spiffe.Identity{TrustDomain: "cluster.local", Namespace: ns, ServiceAccount: w.sa}
	return gatewayViewFor(fds, &model.Proxy{
		Type:             model.Router,
		ID:               w.pod.Name + "." + ns,
		IPAddresses:      []string{gatewayAPIProxyIP},
		ConfigNamespace:  ns,
		Labels:           w.pod.Labels,
		VerifiedIdentity: &identity,
		Metadata: &model.NodeMetadata{
			Labels:         w.pod.Labels,
			Namespace:      ns,
			ServiceAccount: w.sa,
		},
	})
}

// ---------------------------------------------------------------------------
// Status.

// statusRecorder is a status.Queue that keeps the latest status enqueued for each object,
// instead of writing it to the API server.
type statusRecorder struct {
	mu    sync.Mutex
	state map[status.Resource]any
}

func (r *statusRecorder) EnqueueStatusUpdateResource(context any, target status.Resource) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.state[target] = context
}

var _ status.Queue = &statusRecorder{}

// statusCollections reaches the gateway controller's status collections. The controller only
// hands them to a status.Manager that writes to the API server asynchronously; Istio's own tests
// (in the package) attach a recording queue to this field directly, and so does the oracle.
func statusCollections(c *gateway.Controller) (*status.StatusCollections, error) {
	f := reflect.ValueOf(c).Elem().FieldByName("status")
	want := reflect.TypeFor[*status.StatusCollections]()
	if !f.IsValid() || f.Type() != want {
		return nil, fmt.Errorf("istiod's gateway controller has no field status of type %v (Istio changed?)", want)
	}
	return *(**status.StatusCollections)(unsafe.Pointer(f.UnsafeAddr())), nil
}

// gatewayAPIStatus returns the status istiod's gateway controller computes for every Gateway API
// object of the case that has a status, sorted by kind (GatewayClass, Gateway, routes), then
// namespace and name.
//
// The controller runs on the fake discovery server's Kubernetes objects and its final push
// context. It is a controller of its own, started like Istio's tests start one (Reconcile, then
// wait for HasSynced), rather than the fake server's: that one took its first push context before
// the Kubernetes registry had synced and recomputes later ones asynchronously, with no point to
// wait for, so the Gateway's Programmed condition could still say its Service has no endpoints.
func gatewayAPIStatus(t test.Failer, fds *xds.FakeDiscoveryServer, p *parsedObjects) ([]GatewayAPIObjectStatus, error) {
	stop := test.NewStop(t)
	noClassController := func(k8sschema.GroupVersionResource, <-chan struct{}) bool { return false }
	gwc := gateway.NewController(fds.KubeClient(), noClassController, kubecontroller.Options{DomainSuffix: "cluster.local"}, nil)
	fds.KubeClient().RunAndWait(stop)
	go gwc.Run(stop)
	gwc.Reconcile(fds.PushContext())
	if !kubelib.WaitForCacheSync("gateway-api-status", stop, gwc.HasSynced) {
		return nil, fmt.Errorf("istiod's gateway controller did not sync")
	}
	sc, err := statusCollections(gwc)
	if err != nil {
		return nil, err
	}
	rec := &statusRecorder{state: map[status.Resource]any{}}
	for _, s := range sc.SetQueue(rec) {
		s.WaitUntilSynced(stop)
	}
	sc.UnsetQueue()

	type objectKey struct {
		resource        k8sschema.GroupVersionResource
		namespace, name string
	}
	rec.mu.Lock()
	written := map[objectKey]any{}
	for res, st := range rec.state {
		written[objectKey{res.GroupVersionResource, res.Namespace, res.Name}] = st
	}
	rec.mu.Unlock()

	out := []GatewayAPIObjectStatus{}
	for _, o := range p.kube {
		k := kindOf(o)
		m, isMeta := o.(metav1.Object)
		if k.Group != gatewayAPIGroup || !isMeta {
			continue
		}
		s, ok := gatewayAPISchema(k.Kind)
		if !ok || s.StatusKind() == "" {
			continue // e.g. ReferenceGrant: no status
		}
		entry := GatewayAPIObjectStatus{Kind: k.Kind, Namespace: m.GetNamespace(), Name: m.GetName(), Status: json.RawMessage("null")}
		if st, ok := written[objectKey{s.GroupVersionResource(), m.GetNamespace(), m.GetName()}]; ok {
			if entry.Status, err = json.Marshal(st); err != nil {
				return nil, fmt.Errorf("%s %s/%s: cannot encode status: %v", k.Kind, m.GetNamespace(), m.GetName(), err)
			}
		}
		out = append(out, entry)
	}
	rank := func(kind string) int {
		switch kind {
		case gvk.GatewayClass.Kind:
			return 0
		case gvk.KubernetesGateway.Kind:
			return 1
		}
		return 2
	}
	slices.SortStableFunc(out, func(a, b GatewayAPIObjectStatus) int {
		return cmp.Or(cmp.Compare(rank(a.Kind), rank(b.Kind)), cmp.Compare(a.Kind, b.Kind),
			cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	return out, nil
}

// ---------------------------------------------------------------------------
// Which HTTPRoute produced a route.

// httpRouteIndex maps each VirtualService istiod generated from Gateway API routes
// ("<namespace>/<name>", what a route's metadata names) to the HTTPRoutes merged into it.
type httpRouteIndex struct {
	parents map[string][]httpRouteRef
	// ruleNames holds the named rules of the case's HTTPRoutes: a named rule's Envoy route is
	// named after the rule alone.
	ruleNames map[httpRouteRef]map[string]bool
}

type httpRouteRef struct{ namespace, name string }

func (r httpRouteRef) String() string { return r.namespace + "/" + r.name }

func newHTTPRouteIndex(fds *xds.FakeDiscoveryServer, p *parsedObjects) *httpRouteIndex {
	idx := &httpRouteIndex{parents: map[string][]httpRouteRef{}, ruleNames: map[httpRouteRef]map[string]bool{}}
	if fds.Env().GatewayAPIController == nil {
		return idx
	}
	for _, vs := range fds.Env().GatewayAPIController.List(gvk.VirtualService, "") {
		// internal.istio.io/parents: "HTTPRoute/<name>.<namespace>[,...]" (gateway.parentMeta)
		for _, parent := range strings.Split(vs.Annotations[constants.InternalParentNames], ",") {
			kindAndName, ok := strings.CutPrefix(parent, gvk.HTTPRoute.Kind+"/")
			if !ok {
				continue
			}
			dot := strings.LastIndex(kindAndName, ".")
			if dot < 0 {
				continue
			}
			key := vs.Namespace + "/" + vs.Name
			idx.parents[key] = append(idx.parents[key], httpRouteRef{namespace: kindAndName[dot+1:], name: kindAndName[:dot]})
		}
	}
	for _, o := range p.kube {
		hr, ok := o.(*gatewayv1.HTTPRoute)
		if !ok {
			continue
		}
		ref := httpRouteRef{namespace: hr.Namespace, name: hr.Name}
		for _, rule := range hr.Spec.Rules {
			if rule.Name != nil {
				if idx.ruleNames[ref] == nil {
					idx.ruleNames[ref] = map[string]bool{}
				}
				idx.ruleNames[ref][string(*rule.Name)] = true
			}
		}
	}
	return idx
}

// httpRouteOf names the HTTPRoute whose rule became the matched Envoy route: among the parents
// of the route's VirtualService, the one whose rule name Istio gave the route
// ("<namespace>.<name>.<rule index>", or the rule's own name). "" when the route did not come
// from an HTTPRoute or the owner is ambiguous.
func (idx *httpRouteIndex) httpRouteOf(virtualService, routeName string) string {
	var owners []httpRouteRef
	for _, ref := range idx.parents[virtualService] {
		auto := ref.namespace + "." + ref.name + "."
		if rest, ok := strings.CutPrefix(routeName, auto); ok && rest != "" && strings.Trim(rest, "0123456789") == "" {
			owners = append(owners, ref)
		} else if idx.ruleNames[ref][routeName] {
			owners = append(owners, ref)
		}
	}
	if len(owners) != 1 {
		return ""
	}
	return owners[0].String()
}

// ---------------------------------------------------------------------------
// Routes to clusters that do not exist.

// markMissingClusters records the clusters of the matched route that istiod did not generate for
// the gateway, e.g. for a backend Service that does not exist. Envoy does not reject such a route;
// a request it sends to a missing cluster gets the route's cluster_not_found_response_code.
func markMissingClusters(g *gatewayView, res *Result) {
	var wanted []string
	switch res.Outcome {
	case OutcomeCluster:
		wanted = []string{res.Cluster}
	case OutcomeWeighted:
		for _, wc := range res.WeightedClusters {
			wanted = append(wanted, wc.Name)
		}
	default:
		return
	}
	generated := map[string]bool{}
	for _, cl := range g.sim.Clusters {
		generated[cl.GetName()] = true
	}
	for _, name := range wanted {
		if !generated[name] {
			res.MissingClusters = append(res.MissingClusters, name)
		}
	}
	if len(res.MissingClusters) == 0 {
		return
	}
	note := fmt.Sprintf("cluster %s not generated for the gateway: Envoy answers %d (the route's cluster_not_found_response_code)",
		strings.Join(res.MissingClusters, ", "), clusterNotFoundStatus(res.Route))
	res.Detail = strings.TrimPrefix(res.Detail+"; "+note, "; ")
}

// clusterNotFoundStatus reads route.cluster_not_found_response_code from the matched route's
// JSON: 503 (Envoy's default), 404 or 500.
func clusterNotFoundStatus(routeJSON json.RawMessage) int {
	var r struct {
		Route struct {
			Code string `json:"cluster_not_found_response_code"`
		} `json:"route"`
	}
	_ = json.Unmarshal(routeJSON, &r)
	switch r.Route.Code {
	case envoyroute.RouteAction_NOT_FOUND.String():
		return 404
	case envoyroute.RouteAction_INTERNAL_SERVER_ERROR.String():
		return 500
	default:
		return 503
	}
}
