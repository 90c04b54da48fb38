package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// End to end through istiod's config generation: an older VirtualService with a
// shorter prefix shadows a newer one with a longer prefix on a shared host.
const shadowObjects = `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: jupyterhub-gateway, namespace: jupyterhub, creationTimestamp: "2026-01-01T00:00:00Z"}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*"]
---
apiVersion: v1
kind: Service
metadata: {name: jupyter-alice, namespace: jupyterhub}
spec:
  selector: {app: jupyter-alice}
  ports: [{name: http, port: 8888}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: newer, namespace: jupyterhub, creationTimestamp: "2026-01-02T00:00:00Z"}
spec:
  hosts: ["*"]
  gateways: [jupyterhub/jupyterhub-gateway]
  http:
  - name: lab2
    match: [{uri: {prefix: /user/alice/lab2/}}]
    route: [{destination: {host: jupyter-alice.jupyterhub.svc.cluster.local, port: {number: 8888}}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: older, namespace: jupyterhub, creationTimestamp: "2026-01-01T00:00:00Z"}
spec:
  hosts: ["*"]
  gateways: [jupyterhub/jupyterhub-gateway]
  http:
  - name: route
    match: [{uri: {prefix: /user/alice/}}]
    route: [{destination: {host: jupyter-alice.jupyterhub.svc.cluster.local, port: {number: 8888}}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: broken, namespace: jupyterhub, creationTimestamp: "2026-01-01T00:00:00Z"}
spec:
  hosts: ["*"]
  gateways: [jupyterhub/no-such-gateway]
  http:
  - route: [{destination: {host: nowhere.jupyterhub.svc.cluster.local}}]
`

func TestCaseEndToEnd(t *testing.T) {
	c := Case{ID: "e2e", Objects: shadowObjects, Requests: []Request{
		{Host: "hub.example.com", Path: "/user/alice/lab2/x"},
		{Host: "hub.example.com", Path: "/nowhere"},
	}}
	line, _ := json.Marshal(c)
	out := runCase(line)
	if out.Error != "" {
		t.Fatalf("error: %s", out.Error)
	}
	if len(out.Results) != 2 {
		t.Fatalf("results: %+v", out.Results)
	}
	r := out.Results[0]
	if r.RouteName != "route" || r.VirtualService != "jupyterhub/older" || r.Outcome != OutcomeCluster ||
		r.Cluster != "outbound|8888||jupyter-alice.jupyterhub.svc.cluster.local" || r.VirtualHost != "*:80" {
		t.Errorf("shadowing: %+v", r)
	}
	if !r.Simulation.Checked || !r.Simulation.Agrees {
		t.Errorf("simulation: %+v", r.Simulation)
	}
	if out.Results[1].Outcome != OutcomeNoRoute {
		t.Errorf("no route: %+v", out.Results[1])
	}
	codes := map[string]bool{}
	for _, m := range out.Messages {
		if m.Object == "VirtualService jupyterhub/broken" {
			codes[m.Code] = true
		}
	}
	if !codes["IST0101"] {
		t.Errorf("expected IST0101 for the broken VirtualService, got %+v", out.Messages)
	}
}

func TestCaseErrorsAreReported(t *testing.T) {
	out := runCase([]byte(`{"id":"bad","objects":"kind: [","requests":[]}`))
	if out.ID != "bad" || out.Error == "" || out.Results == nil || out.Messages == nil {
		t.Errorf("got %+v", out)
	}
	out = runCase([]byte(`{"id":"x", "objects": 5}`))
	if out.ID != "x" || !strings.Contains(out.Error, "invalid case JSON") {
		t.Errorf("got %+v", out)
	}
}

func TestMain(m *testing.M) {
	configureLogging()
	m.Run()
}
