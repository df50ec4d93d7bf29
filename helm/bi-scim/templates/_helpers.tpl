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

{{/* The externalRedis forms that are set, comma-separated: exactly one may be. */}}
{{- define "bi-scim.externalRedisForms" -}}
{{- $x := .Values.externalRedis }}
{{- $forms := list }}
{{- if $x.url }}{{ $forms = append $forms "url" }}{{ end }}
{{- if $x.existingSecret }}{{ $forms = append $forms "existingSecret" }}{{ end }}
{{- if or $x.sentinel.hosts $x.sentinel.masterName }}{{ $forms = append $forms "sentinel" }}{{ end }}
{{- if $x.cluster.nodes }}{{ $forms = append $forms "cluster" }}{{ end }}
{{- join ", " $forms }}
{{- end }}

{{/* Any Redis at all, bundled or external in any form: what lets more than one replica share state. */}}
{{- define "bi-scim.redisEnabled" -}}
{{- if or .Values.redis.enabled (include "bi-scim.externalRedisForms" .) }}true{{ end }}
{{- end }}

{{/*
BI_SCIM_REDIS_URL when the chart can write it in plain text: the bundled Redis, Sentinel and Cluster URLs hold no
password (that comes from BI_SCIM_REDIS_PASSWORD / BI_SCIM_REDIS_SENTINEL_PASSWORD). Empty for url/existingSecret,
which are read from a Secret.
*/}}
{{- define "bi-scim.redisUrl" -}}
{{- $x := .Values.externalRedis }}
{{- if .Values.redis.enabled }}
{{- printf "redis://%s:6379/0" (include "bi-scim.redisName" .) }}
{{- else if or $x.sentinel.hosts $x.sentinel.masterName }}
{{- printf "%s://%s/%s" (ternary "rediss+sentinel" "redis+sentinel" $x.sentinel.tls) (join "," $x.sentinel.hosts) $x.sentinel.masterName }}
{{- with $x.sentinel.db }}/{{ include "bi-scim.number" . }}{{ end }}
{{- else if $x.cluster.nodes }}
{{- printf "%s://%s" (ternary "rediss+cluster" "redis+cluster" $x.cluster.tls) (join "," $x.cluster.nodes) }}
{{- end }}
{{- end }}

{{/* The computed shutdown budget: preStop sleep, then the server's grace and timeout, plus 5 s before SIGKILL. */}}
{{- define "bi-scim.minTerminationGrace" -}}
{{- add (int .Values.preStopSleepSeconds) (int .Values.config.shutdownGraceSeconds) (int .Values.config.shutdownTimeoutSeconds) 5 }}
{{- end }}

{{- define "bi-scim.terminationGrace" -}}
{{- .Values.terminationGracePeriodSeconds | default (include "bi-scim.minTerminationGrace" .) | int }}
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
{{- $rows = append $rows (dict "env" "BI_SCIM_REDIS_PASSWORD" "existingSecret" $v.redis.auth.existingSecret "key" $v.redis.auth.secretKey "value" $v.redis.auth.password "inline" "redis.auth.password") }}
{{- end }}
{{- $x := $v.externalRedis }}
{{- if or $x.url $x.existingSecret }}
{{- $rows = append $rows (dict "env" "BI_SCIM_REDIS_URL" "existingSecret" $x.existingSecret "key" $x.secretKey "value" $x.url "inline" "externalRedis.url") }}
{{- end }}
{{- if $x.passwordSecret.name }}
{{- $rows = append $rows (dict "env" "BI_SCIM_REDIS_PASSWORD" "existingSecret" $x.passwordSecret.name "key" $x.passwordSecret.key "value" "" "inline" "externalRedis.passwordSecret.name") }}
{{- end }}
{{- if $x.sentinelPasswordSecret.name }}
{{- $rows = append $rows (dict "env" "BI_SCIM_REDIS_SENTINEL_PASSWORD" "existingSecret" $x.sentinelPasswordSecret.name "key" $x.sentinelPasswordSecret.key "value" "" "inline" "externalRedis.sentinelPasswordSecret.name") }}
{{- end }}
{{- if $v.console.enabled }}
{{- $rows = append $rows (dict "env" "BI_SCIM_ADMIN_TOKENS" "existingSecret" $v.console.existingSecret "key" $v.console.secretKey "value" (join "," $v.console.tokens) "inline" "console.tokens") }}
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
{{- $number := dict }}
{{- range $key := list "port" "metricsPort" "maxBodyBytes" "rateLimitRps" "shutdownGraceSeconds" "shutdownTimeoutSeconds" }}
{{- $_ := set $number $key (include "bi-scim.number" (get $v.config $key)) }}
{{- end }}
{{- $plain := list
  (list "BI_SCIM_TARGET" $v.target.kind)
  (list "BI_SCIM_TARGET_URL" $v.target.url)
  (list "BI_SCIM_HOST" $v.config.host)
  (list "BI_SCIM_PORT" $number.port)
  (list "BI_SCIM_METRICS_PORT" $number.metricsPort)
  (list "BI_SCIM_BASE_PATH" $v.config.basePath)
  (list "BI_SCIM_LOG_LEVEL" $v.config.logLevel)
  (list "BI_SCIM_MAX_BODY_BYTES" $number.maxBodyBytes)
  (list "BI_SCIM_RATE_LIMIT_RPS" $number.rateLimitRps)
  (list "BI_SCIM_SHUTDOWN_GRACE_SECONDS" $number.shutdownGraceSeconds)
  (list "BI_SCIM_SHUTDOWN_TIMEOUT_SECONDS" $number.shutdownTimeoutSeconds)
  (list "BI_SCIM_TRUST_PROXY" $v.config.trustProxy)
  (list "BI_SCIM_CONFIG" "/etc/bi-scim/config.yaml")
}}
{{- /* Optional settings are left out rather than passed empty. */}}
{{- with $v.config.publicUrl }}{{ $plain = append $plain (list "BI_SCIM_PUBLIC_URL" .) }}{{ end }}
{{- if $v.console.enabled }}{{ $plain = append $plain (list "BI_SCIM_ADMIN_PORT" (include "bi-scim.number" $v.console.port)) }}{{ end }}
{{- with include "bi-scim.redisUrl" . }}{{ $plain = append $plain (list "BI_SCIM_REDIS_URL" .) }}{{ end }}
{{- range $plain }}
- name: {{ index . 0 }}
  value: {{ index . 1 | toString | quote }}
{{- end }}
{{- range include "bi-scim.credentials" . | fromYamlArray }}
{{ include "bi-scim.secretEnv" (dict "row" . "root" $) }}
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

{{/* Render-time refusals about Redis: one store, one external form, each form complete. */}}
{{- define "bi-scim.validateRedis" -}}
{{- $v := .Values }}
{{- $forms := include "bi-scim.externalRedisForms" . }}
{{- if and $v.redis.enabled $forms }}
{{- fail (printf "Choose one Redis: redis.enabled (bundled) or externalRedis (set: %s), not both" $forms) }}
{{- end }}
{{- if gt (len (splitList ", " $forms)) 1 }}
{{- fail (printf "externalRedis takes exactly one of url, existingSecret, sentinel, cluster; set: %s" $forms) }}
{{- end }}
{{- with $v.externalRedis.sentinel }}
{{- if and (or .hosts .masterName) (not (and .hosts .masterName)) }}
{{- fail "externalRedis.sentinel needs both hosts (host:port of each sentinel) and masterName" }}
{{- end }}
{{- end }}
{{- if and $v.externalRedis.passwordSecret.name (not $forms) }}
{{- fail "externalRedis.passwordSecret is set but no externalRedis form is (url, existingSecret, sentinel or cluster); the bundled Redis uses redis.auth" }}
{{- end }}
{{- if and $v.externalRedis.sentinelPasswordSecret.name (ne $forms "sentinel") }}
{{- fail "externalRedis.sentinelPasswordSecret applies to externalRedis.sentinel only" }}
{{- end }}
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
{{- include "bi-scim.validateRedis" . }}
{{- if and $v.console.ingress.enabled (not $v.console.enabled) }}
{{- fail "console.ingress.enabled needs console.enabled=true" }}
{{- end }}
{{- $minGrace := include "bi-scim.minTerminationGrace" . | int }}
{{- if and $v.terminationGracePeriodSeconds (lt (int $v.terminationGracePeriodSeconds) $minGrace) }}
{{- fail (printf "terminationGracePeriodSeconds=%d is shorter than preStopSleepSeconds (%d) + config.shutdownGraceSeconds (%d) + config.shutdownTimeoutSeconds (%d) + 5 s: raise it to at least %d, or leave it empty to have it computed" (int $v.terminationGracePeriodSeconds) (int $v.preStopSleepSeconds) (int $v.config.shutdownGraceSeconds) (int $v.config.shutdownTimeoutSeconds) $minGrace) }}
{{- end }}
{{- if and (not $redis) (or (gt (int $v.replicaCount) 1) $v.autoscaling.enabled) }}
{{- fail "bi-scim without Redis keeps its state (id mappings, locks, tokens) in one process's memory, so it must run as a single replica: set redis.enabled=true or externalRedis, or keep replicaCount=1 and autoscaling.enabled=false" }}
{{- end }}
{{- end }}

{{/* An Ingress onto one Service port; SCIM's (ingress.*) and the console's (console.ingress.*) differ only in the arguments. */}}
{{- define "bi-scim.ingress" -}}
{{- $fullname := include "bi-scim.fullname" .root }}
{{- $port := .port }}
{{- $defaultPaths := list (dict "path" .defaultPath "pathType" "Prefix") }}
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: {{ .name }}
  labels:
    {{- include "bi-scim.labels" .root | nindent 4 }}
    app.kubernetes.io/component: {{ .component }}
  {{- with .ingress.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  {{- with .ingress.className }}
  ingressClassName: {{ . }}
  {{- end }}
  {{- with .ingress.tls }}
  tls:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  rules:
    {{- range .ingress.hosts }}
    - host: {{ .host | quote }}
      http:
        paths:
          {{- range (.paths | default $defaultPaths) }}
          - path: {{ .path }}
            pathType: {{ .pathType | default "Prefix" }}
            backend:
              service:
                name: {{ $fullname }}
                port:
                  number: {{ $port }}
          {{- end }}
    {{- end }}
{{- end }}

{{/* An alert's pointer into the README: the section's name always, a link when prometheusRule.runbookBaseUrl is set. */}}
{{- define "bi-scim.runbook" -}}
runbook: {{ printf "bi-scim README, section \"%s\"" .section | quote }}
{{- with .root.Values.prometheusRule.runbookBaseUrl }}
runbook_url: {{ printf "%s#%s" . ($.section | lower | replace " " "-") | quote }}
{{- end }}
{{- end }}
