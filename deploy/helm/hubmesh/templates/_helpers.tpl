{{- define "hubmesh.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "hubmesh.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else if contains (include "hubmesh.name" .) .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name (include "hubmesh.name" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{/* Cluster-scoped objects and the root namespace's are shared by every hub: name them after the hub namespace too. */}}
{{- define "hubmesh.sharedName" -}}
{{- printf "%s-%s" (include "hubmesh.fullname" .) .Release.Namespace | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "hubmesh.selectorLabels" -}}
app.kubernetes.io/name: {{ include "hubmesh.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "hubmesh.labels" -}}
{{ include "hubmesh.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/part-of: jupyterhub
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end }}

{{- define "hubmesh.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "hubmesh.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* HUBMESH_HEAP_MB: heapMb, or half the memory limit (at least 96, hubmesh's minimum). */}}
{{- define "hubmesh.heapMb" -}}
{{- if .Values.heapMb }}
{{- .Values.heapMb }}
{{- else }}
{{- $limit := toString (required "resources.limits.memory is required unless heapMb is set" ((.Values.resources).limits).memory) }}
{{- $mi := 0 }}
{{- if hasSuffix "Gi" $limit }}{{ $mi = mul (trimSuffix "Gi" $limit | atoi) 1024 }}
{{- else if hasSuffix "Mi" $limit }}{{ $mi = trimSuffix "Mi" $limit | atoi }}
{{- else }}{{ fail (printf "resources.limits.memory %q: use Mi or Gi, or set heapMb" $limit) }}
{{- end }}
{{- max 96 (div $mi 2) }}
{{- end }}
{{- end }}

{{/*
A secret setting: where its env var comes from. Args: root context, the value block, the key in this
chart's Secret. existingSecret wins; else this chart's Secret.
*/}}
{{- define "hubmesh.secretRef" -}}
{{- $root := index . 0 }}{{- $setting := index . 1 }}{{- $key := index . 2 }}
{{- if and $setting.existingSecret.name (not $setting.value) }}
name: {{ $setting.existingSecret.name }}
key: {{ required (printf "%s: existingSecret.key is required with existingSecret.name" $key) $setting.existingSecret.key }}
{{- else }}
name: {{ include "hubmesh.fullname" $root }}
key: {{ $key }}
{{- end }}
{{- end }}

{{/* Whether this chart's Secret holds the setting (a value, or generated because no existingSecret is named). */}}
{{- define "hubmesh.ownsSecret" -}}
{{- if or .value (not .existingSecret.name) }}true{{ end }}
{{- end }}

{{/* config.routeApi, checked: what the hub's routes are stored as. */}}
{{- define "hubmesh.routeApi" -}}
{{- $api := .Values.config.routeApi | default "virtualservice" }}
{{- if not (has $api (list "virtualservice" "httproute")) }}{{ fail (printf "config.routeApi %q: use virtualservice or httproute" $api) }}{{ end }}
{{- if and .Values.config.gatewaySection (ne $api "httproute") }}{{ fail "config.gatewaySection names a Gateway API listener: set it only with config.routeApi httproute" }}{{ end }}
{{- $api }}
{{- end }}

{{/* The route kinds hubmesh writes: config.routeApi's, and during a migration config.migrateFrom's too (read and deleted). */}}
{{- define "hubmesh.routeApis" -}}
{{- $api := include "hubmesh.routeApi" . }}
{{- $from := .Values.config.migrateFrom }}
{{- if and $from (not (has $from (list "virtualservice" "httproute"))) }}{{ fail (printf "config.migrateFrom %q: use virtualservice or httproute, or leave it empty" $from) }}{{ end }}
{{- if eq $from $api }}{{ fail (printf "config.migrateFrom %q: that is config.routeApi itself; name the backend the routes move away from" $from) }}{{ end }}
{{- compact (list $api $from) | join "," }}
{{- end }}
