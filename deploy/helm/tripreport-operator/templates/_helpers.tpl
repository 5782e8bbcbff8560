{{/* The labels every object carries, as deploy/ sets them, plus Helm's. */}}
{{- define "tripreport-operator.labels" -}}
app.kubernetes.io/name: tripreport-operator
app.kubernetes.io/part-of: tripreport-operator
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* What the Deployment's Pods are selected by; never changes across upgrades. */}}
{{- define "tripreport-operator.selector" -}}
app.kubernetes.io/name: tripreport-operator
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* The operator's rules on the objects it serves: deploy/rbac.yaml's ClusterRole, rule for
rule (tests/integration/chart.rs compares them). */}}
{{- define "tripreport-operator.rules" -}}
- apiGroups: [tripreports.dev]
  resources: [conferencereports, talkrecommendations]
  verbs: [get, list, watch]
- apiGroups: [tripreports.dev]
  resources: [conferencereports/status, talkrecommendations/status]
  verbs: [patch]
- apiGroups: [tripreports.dev]
  resources: [conferencereports/finalizers]
  verbs: [update]
- apiGroups: [""]
  resources: [configmaps]
  verbs: [get, list, watch, create, patch]
- apiGroups: [events.k8s.io]
  resources: [events]
  verbs: [create, patch]
{{- end -}}
