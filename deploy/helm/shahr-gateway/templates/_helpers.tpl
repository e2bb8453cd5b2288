{{/* The release's name for its objects, at most 63 characters. */}}
{{- define "shahr.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "shahr.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "shahr.labels" -}}
{{ include "shahr.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "shahr.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{- define "shahr.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{ default (include "shahr.fullname" .) .Values.serviceAccount.name }}
{{- else -}}
{{ default "default" .Values.serviceAccount.name }}
{{- end -}}
{{- end -}}

{{- define "shahr.secretName" -}}
{{ default (printf "%s-env" (include "shahr.fullname" .)) .Values.secrets.existingSecret }}
{{- end -}}

{{/* One TOML value. YAML numbers reach templates as floats; whole ones are written as
     integers, which the gateway's integer settings need. */}}
{{- define "shahr.tomlValue" -}}
{{- if kindIs "float64" . -}}
{{- if eq (floor .) . }}{{ int64 . }}{{ else }}{{ . }}{{ end -}}
{{- else if or (kindIs "int" .) (kindIs "int64" .) (kindIs "bool" .) -}}
{{ . }}
{{- else if kindIs "slice" . -}}
[{{ range $i, $v := . }}{{ if $i }}, {{ end }}{{ include "shahr.tomlValue" $v }}{{ end }}]
{{- else if kindIs "map" . -}}
{ {{- $first := true }}{{ range $k, $v := . }}{{ if not $first }},{{ end }}{{ $first = false }} {{ $k }} = {{ include "shahr.tomlValue" $v }}{{ end }} }
{{- else if kindIs "invalid" . -}}
{{ fail "config: a setting has no value (null); leave it out instead" }}
{{- else -}}
{{ toString . | toJson }}
{{- end -}}
{{- end -}}

{{/* The config file: the values' settings with the listeners on the chart's ports. */}}
{{- define "shahr.config" -}}
{{- $fixed := dict "listen" (printf "0.0.0.0:%v" .Values.service.port) "metrics_listen" (printf "0.0.0.0:%v" .Values.metrics.port) "upload_dir" "/var/lib/shahr-gateway/uploads" -}}
{{- range $key, $value := merge $fixed .Values.config }}
{{ $key }} = {{ include "shahr.tomlValue" $value }}
{{- end }}
{{- end -}}

{{/* What the gateway's containers share: image, config file, environment, secrets; the
     argument is (list $ secretName). */}}
{{- define "shahr.containerBase" -}}
{{- $ := index . 0 -}}
image: {{ include "shahr.image" $ }}
imagePullPolicy: {{ $.Values.image.pullPolicy }}
env:
  - name: SHAHR_CONFIG
    value: /etc/shahr-gateway/config.toml
  {{- range $name, $value := $.Values.extraEnv }}
  - name: {{ $name }}
    value: {{ $value | quote }}
  {{- end }}
envFrom:
  - secretRef:
      name: {{ index . 1 }}
securityContext:
  {{- toYaml $.Values.securityContext | nindent 2 }}
{{- end -}}
