package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"istio.io/istio/pilot/pkg/features"
)

// The ambient child process of the tests is this test binary: started with ISTIO_ORACLE_AMBIENT_CHILD=1 (and
// PILOT_ENABLE_AMBIENT=true, which Istio's packages read as they initialise), it serves the protocol as the
// oracle's main does.
func init() {
	if os.Getenv("ISTIO_ORACLE_AMBIENT_CHILD") == "1" {
		configureLogging()
		main()
	}
	ambientChildCommand = func() (*exec.Cmd, error) {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "ISTIO_ORACLE_AMBIENT_CHILD=1")
		return cmd, nil
	}
}

func ambientPod(name, ip string, labels, annotations map[string]string, sidecar bool) string {
	l, _ := json.Marshal(labels)
	a, _ := json.Marshal(annotations)
	containers := `[{name: notebook, image: quay.io/jupyter/base-notebook, ports: [{containerPort: 8888}]}]`
	if sidecar {
		containers = `[{name: notebook, image: quay.io/jupyter/base-notebook}, {name: istio-proxy, image: istio/proxyv2}]`
	}
	return `---
apiVersion: v1
kind: Pod
metadata: {name: ` + name + `, namespace: jupyterhub, labels: ` + string(l) + `, annotations: ` + string(a) + `}
spec: {serviceAccountName: default, nodeName: kwok-node, containers: ` + containers + `}
status: {phase: Running, podIP: ` + ip + `, podIPs: [{ip: ` + ip + `}], conditions: [{type: Ready, status: "True"}]}
`
}

func ambientNamespace(labels map[string]string) string {
	l, _ := json.Marshal(labels)
	return "apiVersion: v1\nkind: Namespace\nmetadata: {name: jupyterhub, labels: " + string(l) + "}\n"
}

const notebookService = `---
apiVersion: v1
kind: Service
metadata: {name: jupyter-alice, namespace: jupyterhub}
spec:
  clusterIP: 10.96.0.20
  selector: {hub.jupyter.org/username: alice}
  ports: [{name: http, port: 8888, targetPort: 8888}]
`

const waypointGateway = `---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: waypoint, namespace: jupyterhub, labels: {istio.io/waypoint-for: all}}
spec:
  gatewayClassName: istio-waypoint
  listeners: [{name: mesh, port: 15008, protocol: HBONE}]
`

var enrolled = map[string]string{"ambient.istio.io/redirection": "enabled"}

func runAmbient(t *testing.T, objects string) *AmbientView {
	t.Helper()
	line, _ := json.Marshal(Case{ID: t.Name(), Objects: objects, Ambient: true})
	out := runCase(line)
	if out.Error != "" {
		t.Fatalf("error: %s", out.Error)
	}
	if out.Ambient == nil {
		t.Fatalf("no ambient view: %+v", out)
	}
	js, _ := json.MarshalIndent(out.Ambient, "", "  ")
	t.Logf("%s", js)
	return out.Ambient
}

func workload(t *testing.T, v *AmbientView, name string) AmbientWorkload {
	t.Helper()
	for _, w := range v.Workloads {
		if w.Name == name {
			return w
		}
	}
	t.Fatalf("no workload %s among %+v", name, v.Workloads)
	return AmbientWorkload{}
}

func TestAmbientWorkloads(t *testing.T) {
	v := runAmbient(t, ambientNamespace(map[string]string{"istio.io/dataplane-mode": "ambient"})+
		ambientPod("jupyter-alice", "10.10.0.11", map[string]string{"hub.jupyter.org/username": "alice"}, enrolled, false)+
		ambientPod("jupyter-bob", "10.10.0.12", map[string]string{"istio.io/dataplane-mode": "none"}, nil, false)+
		ambientPod("jupyter-carol", "10.10.0.13", nil, map[string]string{"sidecar.istio.io/status": "{}"}, true)+
		ambientPod("jupyter-dave", "10.10.0.14", nil, nil, false)+
		notebookService)
	alice := workload(t, v, "jupyter-alice")
	if alice.TunnelProtocol != "HBONE" || !alice.CapturedByZtunnel || !alice.CNIEnrolls || alice.ServiceAccount != "default" {
		t.Errorf("alice: %+v", alice)
	}
	bob := workload(t, v, "jupyter-bob")
	if bob.TunnelProtocol != "NONE" || bob.CapturedByZtunnel || bob.CNIEnrolls {
		t.Errorf("bob: %+v", bob)
	}
	// istio-cni leaves a pod the sidecar injector handled alone
	carol := workload(t, v, "jupyter-carol")
	if carol.TunnelProtocol != "NONE" || carol.CNIEnrolls {
		t.Errorf("carol: %+v", carol)
	}
	// istiod goes by istio-cni's redirection annotation alone: enrolled by the namespace, not yet redirected
	dave := workload(t, v, "jupyter-dave")
	if dave.TunnelProtocol != "NONE" || !dave.CNIEnrolls || dave.RedirectionAnnotation != "" {
		t.Errorf("dave: %+v", dave)
	}
	if len(v.Analysis) != 0 {
		t.Errorf("analysis: %+v", v.Analysis)
	}
}

func policyNamed(t *testing.T, v *AmbientView, kind, name string) AmbientPolicy {
	t.Helper()
	for _, p := range v.Policies {
		if p.Kind == kind && p.Name == name {
			return p
		}
	}
	t.Fatalf("no %s %s among %+v", kind, name, v.Policies)
	return AmbientPolicy{}
}

func condition(p AmbientPolicy, typ string) *Condition {
	for _, c := range p.Conditions {
		if c.Type == typ {
			return &c
		}
	}
	return nil
}

var ambientAlice = ambientNamespace(map[string]string{"istio.io/dataplane-mode": "ambient"}) +
	ambientPod("jupyter-alice", "10.10.0.11", map[string]string{"hub.jupyter.org/username": "alice"}, enrolled, false) +
	notebookService

func TestAmbientUseWaypoint(t *testing.T) {
	onNamespace := ambientNamespace(map[string]string{"istio.io/dataplane-mode": "ambient", "istio.io/use-waypoint": "waypoint"}) +
		ambientPod("jupyter-alice", "10.10.0.11", map[string]string{"hub.jupyter.org/username": "alice"}, enrolled, false) + notebookService
	onPod := ambientNamespace(map[string]string{"istio.io/dataplane-mode": "ambient"}) +
		ambientPod("jupyter-alice", "10.10.0.11", map[string]string{"hub.jupyter.org/username": "alice", "istio.io/use-waypoint": "waypoint"}, enrolled, false) + notebookService
	for name, tc := range map[string]struct {
		objects string
		want    string
	}{
		"namespace, waypoint present": {onNamespace + waypointGateway, "jupyterhub/waypoint.jupyterhub.svc.cluster.local"},
		"namespace, waypoint absent":  {onNamespace, ""},
		"pod, waypoint present":       {onPod + waypointGateway, "jupyterhub/waypoint.jupyterhub.svc.cluster.local"},
		"pod, waypoint absent":        {onPod, ""},
		"pod, waypoint not ready": {onPod + waypointGateway + `
status:
  conditions: [{type: Programmed, status: "False", reason: Pending, message: "waiting for the deployment", lastTransitionTime: "2026-01-01T00:00:00Z"}]
`, ""},
	} {
		t.Run(name, func(t *testing.T) {
			v := runAmbient(t, tc.objects)
			if got := workload(t, v, "jupyter-alice").Waypoint; got != tc.want {
				t.Errorf("waypoint %q, want %q", got, tc.want)
			}
			if tc.want == "" {
				if len(v.Waypoints) != 0 {
					t.Errorf("waypoints: %+v", v.Waypoints)
				}
				return
			}
			if len(v.Waypoints) != 1 || v.Waypoints[0].Name != "waypoint" || v.Waypoints[0].For != "all" {
				t.Errorf("waypoints: %+v", v.Waypoints)
			}
		})
	}
}

const l4Allow = `---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: from-proxy, namespace: jupyterhub}
spec:
  selector: {matchLabels: {hub.jupyter.org/username: alice}}
  action: ALLOW
  rules:
  - from: [{source: {principals: [cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account]}}]
    to: [{operation: {ports: ["8888"]}}]
`

const l7Allow = `---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: api-only, namespace: jupyterhub}
spec:
  selector: {matchLabels: {hub.jupyter.org/username: alice}}
  action: ALLOW
  rules:
  - to: [{operation: {methods: [GET], paths: ["/user/alice/api/*"]}}]
`

const l7AllowOnWaypoint = `---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: api-only-waypoint, namespace: jupyterhub}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: waypoint}]
  action: ALLOW
  rules:
  - to: [{operation: {methods: [GET], paths: ["/user/alice/api/*"]}}]
`

func TestAmbientL4PolicyIsZtunnelAccepted(t *testing.T) {
	v := runAmbient(t, ambientAlice+l4Allow)
	p := policyNamed(t, v, "AuthorizationPolicy", "from-proxy")
	c := condition(p, "ZtunnelAccepted")
	if c == nil || !c.Status || c.Reason != "Accepted" || c.Message != "attached to ztunnel" {
		t.Errorf("condition: %+v", p.Conditions)
	}
	if p.Ztunnel == nil || !strings.Contains(string(p.Ztunnel.Config), "istio-ingressgateway-service-account") || !strings.Contains(string(p.Ztunnel.Config), "8888") {
		t.Errorf("ztunnel policy: %+v", p.Ztunnel)
	}
	if !slices.Equal(p.AppliesTo, []string{"jupyterhub/jupyter-alice"}) {
		t.Errorf("applies to %v", p.AppliesTo)
	}
}

func TestAmbientL7PolicyWithoutWaypoint(t *testing.T) {
	v := runAmbient(t, ambientAlice+l7Allow)
	p := policyNamed(t, v, "AuthorizationPolicy", "api-only")
	c := condition(p, "ZtunnelAccepted")
	if c == nil || c.Reason != "UnsupportedValue" ||
		!strings.HasPrefix(c.Message, "ztunnel does not support HTTP attributes (found: methods, paths). In ambient mode you must use a waypoint proxy to enforce HTTP rules.") {
		t.Fatalf("condition: %+v", p.Conditions)
	}
	// Istio accepts the policy with its HTTP rules dropped: ztunnel enforces an ALLOW policy that allows nothing.
	if !c.Status || p.Ztunnel == nil || strings.Contains(string(p.Ztunnel.Config), "groups") {
		t.Errorf("status %v, ztunnel policy %+v", c.Status, p.Ztunnel)
	}
	// so the condition is not negative, and istioctl analyze's condition analyzer stays silent
	if len(v.Analysis) != 0 {
		t.Errorf("analysis: %+v", v.Analysis)
	}
}

func TestAmbientCustomActionIsNotForZtunnel(t *testing.T) {
	v := runAmbient(t, ambientAlice+`---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: ext-authz, namespace: jupyterhub}
spec:
  selector: {matchLabels: {hub.jupyter.org/username: alice}}
  action: CUSTOM
  provider: {name: oauth2-proxy}
  rules: [{}]
`)
	p := policyNamed(t, v, "AuthorizationPolicy", "ext-authz")
	c := condition(p, "ZtunnelAccepted")
	if c == nil || c.Status || c.Reason != "UnsupportedValue" || c.Message != "ztunnel does not support the CUSTOM action" || p.Ztunnel != nil {
		t.Fatalf("policy: %+v", p)
	}
	if len(v.Analysis) != 1 || v.Analysis[0].Code != "IST0171" || v.Analysis[0].Object != "AuthorizationPolicy jupyterhub/ext-authz" ||
		!strings.Contains(v.Analysis[0].Message, "type=ZtunnelAccepted, reason=UnsupportedValue") {
		t.Errorf("analysis: %+v", v.Analysis)
	}
}

func TestAmbientL7PolicyOnWaypoint(t *testing.T) {
	objects := ambientNamespace(map[string]string{"istio.io/dataplane-mode": "ambient", "istio.io/use-waypoint": "waypoint"}) +
		ambientPod("jupyter-alice", "10.10.0.11", map[string]string{"hub.jupyter.org/username": "alice"}, enrolled, false) +
		notebookService + waypointGateway + l7AllowOnWaypoint
	v := runAmbient(t, objects)
	p := policyNamed(t, v, "AuthorizationPolicy", "api-only-waypoint")
	c := condition(p, "WaypointAccepted")
	if c == nil || !c.Status || c.Reason != "Accepted" || c.Message != "bound to jupyterhub/waypoint" {
		t.Errorf("condition: %+v", p.Conditions)
	}
	if condition(p, "ZtunnelAccepted") != nil || p.Ztunnel != nil {
		t.Errorf("a targetRefs policy is not for ztunnel: %+v", p)
	}
	if len(v.Waypoints) != 1 {
		t.Fatalf("waypoints: %+v", v.Waypoints)
	}
	found := false
	for _, chain := range v.Waypoints[0].Proxy {
		for _, f := range chain.Filters {
			if strings.Contains(string(f.Config), "policy[api-only-waypoint]") && strings.Contains(string(f.Config), "/user/alice/api/") {
				found = true
			}
		}
	}
	if !found {
		t.Errorf("no RBAC filter of the policy on the waypoint proxy: %+v", v.Waypoints[0].Proxy)
	}
	// without the waypoint the same policy is not bound, and istioctl analyze says so
	v = runAmbient(t, ambientAlice+l7AllowOnWaypoint)
	c = condition(policyNamed(t, v, "AuthorizationPolicy", "api-only-waypoint"), "WaypointAccepted")
	if c == nil || c.Status || c.Reason != "TargetNotFound" {
		t.Errorf("condition without waypoint: %+v", c)
	}
	if len(v.Analysis) != 1 || v.Analysis[0].Code != "IST0171" || !strings.Contains(v.Analysis[0].Message, "type=WaypointAccepted, reason=TargetNotFound") {
		t.Errorf("analysis: %+v", v.Analysis)
	}
}

func TestAmbientL7PolicyOnService(t *testing.T) {
	onService := `---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: api-only-service, namespace: jupyterhub}
spec:
  targetRefs: [{kind: Service, group: "", name: jupyter-alice}]
  action: ALLOW
  rules:
  - to: [{operation: {methods: [GET], paths: ["/user/alice/api/*"]}}]
`
	withWaypoint := ambientNamespace(map[string]string{"istio.io/dataplane-mode": "ambient", "istio.io/use-waypoint": "waypoint"}) +
		ambientPod("jupyter-alice", "10.10.0.11", map[string]string{"hub.jupyter.org/username": "alice"}, enrolled, false) +
		notebookService + waypointGateway + onService
	v := runAmbient(t, withWaypoint)
	c := condition(policyNamed(t, v, "AuthorizationPolicy", "api-only-service"), "WaypointAccepted")
	if c == nil || !c.Status || c.Message != "bound to jupyterhub/waypoint" {
		t.Fatalf("condition: %+v", c)
	}
	withPolicy := map[string]bool{}
	for _, chain := range v.Waypoints[0].Proxy {
		for _, f := range chain.Filters {
			if strings.Contains(string(f.Config), "policy[api-only-service]") {
				withPolicy[chain.Chain.Name] = true
			}
		}
	}
	if !withPolicy["inbound-vip|8888|http|jupyter-alice.jupyterhub.svc.cluster.local"] || len(withPolicy) != 1 {
		t.Errorf("the policy should sit on the Service's chain alone: %v", withPolicy)
	}
	// a Service in a namespace without use-waypoint is not bound to any waypoint
	v = runAmbient(t, ambientAlice+waypointGateway+onService)
	c = condition(policyNamed(t, v, "AuthorizationPolicy", "api-only-service"), "WaypointAccepted")
	if c == nil || c.Status || c.Reason != "AncestorNotBound" || c.Message != "Service jupyterhub/jupyter-alice is not bound to a waypoint" {
		t.Errorf("condition: %+v", c)
	}
}

func TestAmbientServiceWaypointNotReady(t *testing.T) {
	v := runAmbient(t, ambientNamespace(map[string]string{"istio.io/dataplane-mode": "ambient", "istio.io/use-waypoint": "waypoint"})+
		ambientPod("jupyter-alice", "10.10.0.11", map[string]string{"hub.jupyter.org/username": "alice"}, enrolled, false)+notebookService)
	if len(v.Services) != 1 || v.Services[0].Condition == nil || v.Services[0].Condition.Reason != "WaypointIsNotReady" {
		t.Fatalf("services: %+v", v.Services)
	}
	if len(v.Analysis) != 1 || v.Analysis[0].Object != "Service jupyterhub/jupyter-alice" || v.Analysis[0].Code != "IST0171" {
		t.Errorf("analysis: %+v", v.Analysis)
	}
}

func TestAmbientStrictPeerAuthenticationWithPortLevelMtls(t *testing.T) {
	pa := `---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: notebooks, namespace: jupyterhub}
spec:
  selector: {matchLabels: {hub.jupyter.org/username: alice}}
  mtls: {mode: STRICT}
  portLevelMtls: {"8888": {mode: PERMISSIVE}}
`
	v := runAmbient(t, ambientAlice+pa)
	p := policyNamed(t, v, "PeerAuthentication", "notebooks")
	if p.Ztunnel == nil || p.Ztunnel.Name != "jupyterhub/converted_peer_authentication_notebooks" {
		t.Fatalf("ztunnel policy: %+v", p)
	}
	if !slices.Equal(p.AppliesTo, []string{"jupyterhub/jupyter-alice"}) || len(p.Conditions) != 0 {
		t.Errorf("policy: %+v", p)
	}
	if alice := workload(t, v, "jupyter-alice"); slices.Contains(alice.AuthorizationPolicies, staticStrictPolicy) {
		t.Errorf("the converted policy replaces the static STRICT one: %v", alice.AuthorizationPolicies)
	}
}

// Ambient cases run in the child process: this process keeps ambient off for the others.
func TestAmbientRunsInItsOwnProcess(t *testing.T) {
	if features.EnableAmbient {
		t.Fatal("the test process itself must not run ambient istiod")
	}
	runAmbient(t, ambientAlice)
	ambientChildMu.Lock()
	child := ambientRunning
	ambientChildMu.Unlock()
	if child == nil || child.process == nil {
		t.Fatal("no ambient child process")
	}
	// a dead child is replaced on the next ambient case
	if err := child.process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-child.gone
	if v := runAmbient(t, ambientAlice); workload(t, v, "jupyter-alice").TunnelProtocol != "HBONE" {
		t.Errorf("after a restart: %+v", v.Workloads)
	}
	ambientChildMu.Lock()
	defer ambientChildMu.Unlock()
	if ambientRunning == child {
		t.Error("the dead child was not replaced")
	}
}
