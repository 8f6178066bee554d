{{/* The chart name, overridable with nameOverride. */}}
{{- define "fixture.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "fixture.fullname" -}}
{{- printf "%s-%s" .Release.Name (include "fixture.name" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "fixture.labels" -}}
app.kubernetes.io/name: {{ include "fixture.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- with .Values.labels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "fixture.image" -}}
{{ required "image.repository is required" .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end }}
