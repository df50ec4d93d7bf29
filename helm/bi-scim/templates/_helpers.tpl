{{/* Named templates shared by the bi-scim manifests: names, labels, credentials, env, probes and render-time checks. */}}

{{- define "bi-scim.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "bi-scim.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "bi-scim.redisName" -}}
{{- printf "%s-redis" (include "bi-scim.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "bi-scim.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "bi-scim.selectorLabels" -}}
app.kubernetes.io/name: {{ include "bi-scim.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "bi-scim.labels" -}}
helm.sh/chart: {{ include "bi-scim.chart" . }}
{{ include "bi-scim.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* Pods are told apart by component: the SCIM server, the bundled Redis, and the `helm test` pod. */}}
{{- define "bi-scim.componentLabels" -}}
{{ include "bi-scim.selectorLabels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "bi-scim.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "bi-scim.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "bi-scim.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}

{{- define "bi-scim.redisEnabled" -}}
{{- if or .Values.redis.enabled .Values.externalRedis.url .Values.externalRedis.existingSecret }}true{{ end }}
{{- end }}

{{- define "bi-scim.targetAuth" -}}
{{- .Values.target.auth | default (ternary "password" "apiKey" (eq .Values.target.kind "superset")) }}
{{- end }}

{{/*
Every secret setting as one row: the env var it fills, the Secret the user manages (existingSecret, or empty for the
chart's dev-only Secret), the key in it and the dev-only inline value. The env, the dev-only Secret and the bundled
Redis all read this one table, so a credential is wired the same way everywhere.
*/}}
{{- define "bi-scim.credentials" -}}
{{- $v := .Values }}
{{- $rows := list }}
{{- if eq (include "bi-scim.targetAuth" .) "apiKey" }}
{{- $rows = append $rows (dict "env" "BI_SCIM_TARGET_API_KEY" "existingSecret" $v.target.existingSecret "key" $v.target.secretKeys.apiKey "value" $v.target.apiKey "inline" "target.apiKey") }}
{{- else }}
{{- $rows = append $rows (dict "env" "BI_SCIM_TARGET_USERNAME" "existingSecret" $v.target.existingSecret "key" $v.target.secretKeys.username "value" $v.target.username "inline" "target.username") }}
{{- $rows = append $rows (dict "env" "BI_SCIM_TARGET_PASSWORD" "existingSecret" $v.target.existingSecret "key" $v.target.secretKeys.password "value" $v.target.password "inline" "target.password") }}
{{- end }}
{{- $rows = append $rows (dict "env" "BI_SCIM_TOKENS" "existingSecret" $v.tokens.existingSecret "key" $v.tokens.secretKey "value" (join "," $v.tokens.values) "inline" "tokens.values") }}
{{- if and $v.redis.enabled (or $v.redis.auth.existingSecret $v.redis.auth.password) }}
{{- $rows = append $rows (dict "env" "REDIS_PASSWORD" "existingSecret" $v.redis.auth.existingSecret "key" $v.redis.auth.secretKey "value" $v.redis.auth.password "inline" "redis.auth.password") }}
{{- end }}
{{- if or $v.externalRedis.url $v.externalRedis.existingSecret }}
{{- $rows = append $rows (dict "env" "BI_SCIM_REDIS_URL" "existingSecret" $v.externalRedis.existingSecret "key" $v.externalRedis.secretKey "value" $v.externalRedis.url "inline" "externalRedis.url") }}
{{- end }}
{{- toYaml $rows }}
{{- end }}

{{/* One credential row as an env var read from its Secret. */}}
{{- define "bi-scim.secretEnv" -}}
- name: {{ .row.env }}
  valueFrom:
    secretKeyRef:
      name: {{ .row.existingSecret | default (include "bi-scim.fullname" .root) }}
      key: {{ .row.key }}
{{- end }}

{{/* Integers arrive from YAML as floats; print whole numbers without an exponent. */}}
{{- define "bi-scim.number" -}}
{{- if eq (float64 .) (float64 (int64 .)) }}{{ int64 . }}{{ else }}{{ . }}{{ end }}
{{- end }}

{{/* The env the server and the `helm test` pod share: plain settings, then secrets by reference only. */}}
{{- define "bi-scim.env" -}}
{{- $v := .Values }}
{{- $plain := list
  (list "BI_SCIM_TARGET" $v.target.kind)
  (list "BI_SCIM_TARGET_URL" $v.target.url)
  (list "BI_SCIM_HOST" $v.config.host)
  (list "BI_SCIM_PORT" (include "bi-scim.number" $v.config.port))
  (list "BI_SCIM_METRICS_PORT" (include "bi-scim.number" $v.config.metricsPort))
  (list "BI_SCIM_BASE_PATH" $v.config.basePath)
  (list "BI_SCIM_LOG_LEVEL" $v.config.logLevel)
  (list "BI_SCIM_MAX_BODY_BYTES" (include "bi-scim.number" $v.config.maxBodyBytes))
  (list "BI_SCIM_RATE_LIMIT_RPS" (include "bi-scim.number" $v.config.rateLimitRps))
  (list "BI_SCIM_CONFIG" "/etc/bi-scim/config.yaml")
}}
{{- range $plain }}
- name: {{ index . 0 }}
  value: {{ index . 1 | toString | quote }}
{{- end }}
{{- range include "bi-scim.credentials" . | fromYamlArray }}
{{ include "bi-scim.secretEnv" (dict "row" . "root" $) }}
{{- end }}
{{- if $v.redis.enabled }}
{{- $auth := "" }}
{{- if or $v.redis.auth.existingSecret $v.redis.auth.password }}
{{- /* Kubernetes expands $(REDIS_PASSWORD), defined above, so the password itself never appears here. */}}
{{- $auth = ":$(REDIS_PASSWORD)@" }}
{{- end }}
- name: BI_SCIM_REDIS_URL
  value: {{ printf "redis://%s%s:6379/0" $auth (include "bi-scim.redisName" .) | quote }}
{{- end }}
{{- with $v.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "bi-scim.volumeMounts" -}}
- name: config
  mountPath: /etc/bi-scim
  readOnly: true
- name: tmp
  mountPath: /tmp
{{- end }}

{{- define "bi-scim.volumes" -}}
- name: config
  configMap:
    name: {{ include "bi-scim.fullname" . }}
- name: tmp
  emptyDir:
    sizeLimit: 64Mi
{{- end }}

{{/* An HTTP probe on the server's port: the path is the app's contract, the timings come from values. */}}
{{- define "bi-scim.probe" -}}
httpGet:
  path: {{ .path }}
  port: http
{{ omit .settings "enabled" | toYaml }}
{{- end }}

{{/* Render-time refusals: each says what is wrong and how to fix it. */}}
{{- define "bi-scim.validate" -}}
{{- $v := .Values }}
{{- $redis := include "bi-scim.redisEnabled" . }}
{{- if not $v.target.url }}
{{- fail "target.url is required: the BI tool's base URL as seen from the pod, e.g. http://metabase.metabase.svc:3000" }}
{{- end }}
{{- if and (eq $v.target.kind "superset") (eq (include "bi-scim.targetAuth" .) "apiKey") }}
{{- fail "target.auth=apiKey works with Metabase only: Superset signs in with target.auth=password" }}
{{- end }}
{{- range include "bi-scim.credentials" . | fromYamlArray }}
{{- if not (or .existingSecret .value) }}
{{- $section := regexReplaceAll "\\.[^.]+$" .inline "" }}
{{- fail (printf "%s has no source: set %s.existingSecret (production) or %s (development only)" .env $section .inline) }}
{{- end }}
{{- if not .key }}
{{- fail (printf "%s: the key name in the Secret is empty" .env) }}
{{- end }}
{{- end }}
{{- if and $v.redis.enabled (or $v.externalRedis.url $v.externalRedis.existingSecret) }}
{{- fail "Choose one Redis: redis.enabled (bundled) or externalRedis (url or existingSecret), not both" }}
{{- end }}
{{- if and (not $redis) (or (gt (int $v.replicaCount) 1) $v.autoscaling.enabled) }}
{{- fail "bi-scim without Redis keeps its state (id mappings, locks, tokens) in one process's memory, so it must run as a single replica: set redis.enabled=true or externalRedis, or keep replicaCount=1 and autoscaling.enabled=false" }}
{{- end }}
{{- end }}
