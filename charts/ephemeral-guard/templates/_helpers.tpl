{{/*
The name of every namespaced and cluster-wide object: the release name when it contains the chart
name (so release "ephemeral-guard" gives the names of manifests/), else <release>-ephemeral-guard.
*/}}
{{- define "ephemeral-guard.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* Helm's labels: the only labels the chart adds to what manifests/ renders (not in selectors). */}}
{{- define "ephemeral-guard.helmLabels" -}}
app.kubernetes.io/instance: {{ .Release.Name | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service | quote }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | quote }}
{{- end -}}

{{/* The labels of every object of manifests/base. */}}
{{- define "ephemeral-guard.labels" -}}
app.kubernetes.io/name: ephemeral-guard
{{ include "ephemeral-guard.helmLabels" . }}
{{- end -}}

{{/* The webhook pods: the Deployment's selector, the Service, the budget and the NetworkPolicy. */}}
{{- define "ephemeral-guard.selectorLabels" -}}
app.kubernetes.io/name: ephemeral-guard
app.kubernetes.io/component: webhook
{{- end -}}

{{- define "ephemeral-guard.tlsSecret" -}}
{{ include "ephemeral-guard.fullname" . }}-tls
{{- end -}}

{{/*
Where serve gets its policy: "cluster" (the policy objects, --cluster-policies) or "configMap".
*/}}
{{- define "ephemeral-guard.policySource" -}}
{{- $source := .Values.policy.source -}}
{{- if not (has $source (list "cluster" "configMap")) -}}
{{- fail (printf "policy.source must be cluster or configMap, got %q" (toString $source)) -}}
{{- end -}}
{{- $source -}}
{{- end -}}

{{- define "ephemeral-guard.mode" -}}
{{- $mode := .Values.certificates.mode -}}
{{- if not (has $mode (list "cert-manager" "self-managed")) -}}
{{- fail (printf "certificates.mode must be cert-manager or self-managed, got %q" (toString $mode)) -}}
{{- end -}}
{{- $mode -}}
{{- end -}}

{{/*
The policy ConfigMap's name. As kustomize's configMapGenerator names it: <name>-<hash>, the hash
being the first 10 hex digits of the SHA-256 of Go's JSON of {"data":...,"kind":"ConfigMap","name":""}
with 0,1,3,a,e replaced by g,h,k,m,t (sigs.k8s.io/kustomize/api/hasher, v0.21 in kubectl 1.37; its
"name" is empty: it looks the path "metadata/name" up as one field name, which finds nothing). So the
default install has kustomize's very name (test/e2e/helm.test.ts compares with kubectl kustomize),
and a policy change renames it, which rolls the Deployment.
*/}}
{{- define "ephemeral-guard.policyConfigMap" -}}
{{- if .Values.policy.existingConfigMap -}}
{{- .Values.policy.existingConfigMap -}}
{{- else -}}
{{- $name := printf "%s-policy" (include "ephemeral-guard.fullname" .) -}}
{{- $text := required "policy.text (the policy YAML) or policy.existingConfigMap must be set" .Values.policy.text -}}
{{- $hash := dict "kind" "ConfigMap" "name" "" "data" (dict "policy.yaml" $text) | toJson | sha256sum | trunc 10 -}}
{{- $hash = $hash | replace "0" "g" | replace "1" "h" | replace "3" "k" | replace "a" "m" | replace "e" "t" -}}
{{- printf "%s-%s" $name $hash -}}
{{- end -}}
{{- end -}}

{{- define "ephemeral-guard.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion | toString) -}}
{{- end -}}
{{- end -}}

{{/* The CA bundle of self-managed mode, base64 (caBundle, else caCrt). */}}
{{- define "ephemeral-guard.caBundle" -}}
{{- $s := .Values.certificates.selfManaged -}}
{{- $bundle := $s.caBundle | default $s.caCrt -}}
{{- required "certificates.mode self-managed needs certificates.selfManaged.caCrt (--set-file certificates.selfManaged.caCrt=certs/ca.crt, from ephemeral-guard certs)" $bundle | b64enc -}}
{{- end -}}
