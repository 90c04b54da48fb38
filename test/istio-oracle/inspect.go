package main

// Generated Envoy configuration handed back to tests: the matched route, named
// clusters, the HTTP filter chains of gateway listeners and the route table.
// Everything is protojson with proto field names, as in an Envoy config dump.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/known/emptypb"
)

// lenientResolver resolves Any types through protoregistry.GlobalTypes (every
// Envoy extension Istio links in) and stands in google.protobuf.Empty for a
// type it does not know, recording the URL: protojson then writes such an Any
// as {"@type": "<url>"} without its content instead of failing.
type lenientResolver struct {
	mu      sync.Mutex
	missing []string
}

func (r *lenientResolver) FindMessageByName(n protoreflect.FullName) (protoreflect.MessageType, error) {
	return protoregistry.GlobalTypes.FindMessageByName(n)
}

func (r *lenientResolver) FindMessageByURL(url string) (protoreflect.MessageType, error) {
	mt, err := protoregistry.GlobalTypes.FindMessageByURL(url)
	if err == nil {
		return mt, nil
	}
	r.mu.Lock()
	r.missing = append(r.missing, url)
	r.mu.Unlock()
	return (&emptypb.Empty{}).ProtoReflect().Type(), nil
}

func (r *lenientResolver) FindExtensionByName(n protoreflect.FullName) (protoreflect.ExtensionType, error) {
	return protoregistry.GlobalTypes.FindExtensionByName(n)
}

func (r *lenientResolver) FindExtensionByNumber(m protoreflect.FullName, n protoreflect.FieldNumber) (protoreflect.ExtensionType, error) {
	return protoregistry.GlobalTypes.FindExtensionByNumber(m, n)
}

// protoJSON renders m as compact protojson with proto (snake_case) field names.
// problem is non-empty when some Any could not be resolved (its content is then
// left out) or m could not be rendered at all (then the JSON is null).
func protoJSON(m proto.Message) (json.RawMessage, string) {
	b, err := protojson.MarshalOptions{UseProtoNames: true}.Marshal(m)
	if err != nil {
		r := &lenientResolver{}
		b, err = protojson.MarshalOptions{UseProtoNames: true, Resolver: r}.Marshal(m)
		if err != nil {
			return json.RawMessage("null"), "cannot render as JSON: " + err.Error()
		}
		if len(r.missing) > 0 {
			return compactJSON(b), fmt.Sprintf("unknown Any types, rendered without content: %s", strings.Join(dedupe(r.missing), ", "))
		}
	}
	return compactJSON(b), ""
}

// compactJSON drops the whitespace protojson inserts at random to discourage byte comparisons.
func compactJSON(b []byte) json.RawMessage {
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		return json.RawMessage(b)
	}
	return json.RawMessage(buf.Bytes())
}

func dedupe(ss []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// inspectGateway fills the parts of the output a case asked for: clusters,
// httpFilters and localReplyConfig, and routeTable.
func inspectGateway(g *gatewayView, c *Case, out *Output) {
	if len(c.Clusters) > 0 {
		out.Clusters = clustersByName(g, c.Clusters)
	}
	if len(c.ListenerPorts) > 0 {
		out.HTTPFilters = map[string][]string{}
		out.LocalReplyConfig = map[string]json.RawMessage{}
		for _, port := range c.ListenerPorts {
			out.HTTPFilters[strconv.Itoa(port)] = g.httpFilterNames(port)
			out.LocalReplyConfig[strconv.Itoa(port)] = g.localReplyConfig(port)
		}
	}
	if c.RouteTable {
		rt := routeTable(g)
		out.RouteTable = &rt
	}
}

// clustersByName maps each name to the generated cluster's protojson, or null.
// A cluster with an Any that cannot be resolved is still returned, that Any
// reduced to its "@type".
func clustersByName(g *gatewayView, names []string) map[string]json.RawMessage {
	out := make(map[string]json.RawMessage, len(names))
	for _, n := range names {
		out[n] = nil // JSON null
	}
	for _, cl := range g.sim.Clusters {
		if v, asked := out[cl.GetName()]; asked && v == nil {
			js, problem := protoJSON(cl)
			if problem != "" {
				debugf("cluster %s: %s", cl.GetName(), problem)
			}
			out[cl.GetName()] = js
		}
	}
	return out
}

// httpFilterNames lists the HTTP filters of the plaintext HCM on the gateway
// listener on port (the listener routeConfigFor uses), [] when there is none.
func (g *gatewayView) httpFilterNames(port int) []string {
	names := []string{}
	h, _ := g.plaintextHCM(port)
	for _, f := range h.GetHttpFilters() {
		names = append(names, f.GetName())
	}
	return names
}

// localReplyConfig is the local_reply_config of the plaintext HCM on the gateway
// listener on port, as protojson, or null when it has none.
func (g *gatewayView) localReplyConfig(port int) json.RawMessage {
	h, _ := g.plaintextHCM(port)
	if h.GetLocalReplyConfig() == nil {
		return json.RawMessage("null")
	}
	js, problem := protoJSON(h.GetLocalReplyConfig())
	if problem != "" {
		debugf("local_reply_config on port %d: %s", port, problem)
	}
	return js
}

// routeTable lists every route of every route configuration generated for the
// gateway, in configuration order (a route configuration shared by several
// listeners appears once).
func routeTable(g *gatewayView) []RouteTableEntry {
	out := []RouteTableEntry{}
	seen := map[string]bool{}
	for _, rc := range g.sim.Routes {
		if seen[rc.GetName()] {
			continue
		}
		seen[rc.GetName()] = true
		for _, vh := range rc.GetVirtualHosts() {
			for _, r := range vh.GetRoutes() {
				pfc := make([]string, 0, len(r.GetTypedPerFilterConfig()))
				for k := range r.GetTypedPerFilterConfig() {
					pfc = append(pfc, k)
				}
				sort.Strings(pfc)
				out = append(out, RouteTableEntry{RouteConfig: rc.GetName(), VirtualHost: vh.GetName(), Name: r.GetName(), PerFilterConfig: pfc})
			}
		}
	}
	return out
}
