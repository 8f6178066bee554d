{{/* Names, labels and the values every template derives from. */}}

{{- define "opspilot.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "opspilot.fullname" -}}
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

{{- define "opspilot.selectorLabels" -}}
app.kubernetes.io/name: {{ include "opspilot.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "opspilot.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "opspilot.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/component: {{ .Values.mode }}
{{- end }}

{{- define "opspilot.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* The ServiceAccount the agent runs as: its own in controller mode, the workload's in sidecar mode. */}}
{{- define "opspilot.serviceAccountName" -}}
{{- if eq .Values.mode "sidecar" }}
{{- .Values.sidecar.workload.serviceAccountName }}
{{- else if .Values.serviceAccount.create }}
{{- default (include "opspilot.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "opspilot.leaseName" -}}
{{- if eq .Values.mode "sidecar" }}
{{- printf "opspilot-%s" .Values.sidecar.workload.name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- default (include "opspilot.fullname" .) .Values.controller.leaderElection.leaseName }}
{{- end }}
{{- end }}

{{/* The leader-election values of the mode in force. */}}
{{- define "opspilot.leaderElection" -}}
{{- if eq .Values.mode "sidecar" }}
{{- toYaml .Values.sidecar.leaderElection }}
{{- else }}
{{- toYaml .Values.controller.leaderElection }}
{{- end }}
{{- end }}

{{/* Whether any policy is configured: "true" or "". */}}
{{- define "opspilot.hasPolicies" -}}
{{- if or .Values.policies.existingConfigMap (gt (len .Values.policies.files) 0) }}true{{ end }}
{{- end }}

{{- define "opspilot.policiesConfigMap" -}}
{{- default (printf "%s-policies" (include "opspilot.fullname" .)) .Values.policies.existingConfigMap }}
{{- end }}

{{- define "opspilot.slackSecret" -}}
{{- default (printf "%s-slack" (include "opspilot.fullname" .)) .Values.approvals.slack.existingSecret }}
{{- end }}

{{- define "opspilot.apiSecret" -}}
{{- default (printf "%s-api" (include "opspilot.fullname" .)) .Values.api.existingSecret }}
{{- end }}

{{/* Whether the Slack bot token and signing secret are mounted: "true" or "". */}}
{{- define "opspilot.slackSecretMounted" -}}
{{- if and .Values.approvals.slack.enabled (or .Values.approvals.slack.existingSecret .Values.approvals.slack.botToken .Values.approvals.slack.signingSecret) }}true{{ end }}
{{- end }}

{{/*
The targets the agent manages, normalised, as a YAML list: in controller mode `targets` with the
namespace defaulted to the release namespace; in sidecar mode the one workload, scraped on
localhost. Consumers read it back with fromYamlArray.
*/}}
{{- define "opspilot.targets" -}}
{{- $out := list }}
{{- if eq .Values.mode "sidecar" }}
{{- $w := .Values.sidecar.workload }}
{{- $t := merge (dict "name" $w.name "kind" $w.kind "namespace" .Release.Namespace
      "scrape" (printf "http://127.0.0.1:%v%s" .Values.sidecar.metricsPort .Values.sidecar.metricsPath)
      "metrics" .Values.sidecar.metrics) (omit (deepCopy .Values.sidecar.target) "name" "kind" "namespace" "scrape" "metrics") }}
{{- $out = append $out $t }}
{{- else }}
{{- range .Values.targets }}
{{- $t := deepCopy . }}
{{- if not (hasKey $t "namespace") }}
{{- $_ := set $t "namespace" $.Release.Namespace }}
{{- end }}
{{- if not (hasKey $t "kind") }}
{{- $_ := set $t "kind" "Deployment" }}
{{- end }}
{{- $out = append $out $t }}
{{- end }}
{{- end }}
{{- toYaml $out }}
{{- end }}

{{/* The namespaces the agent manages, as a YAML list, sorted and unique. */}}
{{- define "opspilot.namespaces" -}}
{{- $ns := list }}
{{- if and (eq .Values.mode "controller") .Values.controller.namespaces }}
{{- $ns = .Values.controller.namespaces }}
{{- else }}
{{- range (include "opspilot.targets" . | fromYamlArray) }}
{{- $ns = append $ns (toString .namespace) }}
{{- end }}
{{- end }}
{{- toYaml (uniq $ns | sortAlpha) }}
{{- end }}

{{/* The resource (plural) of a workload kind. */}}
{{- define "opspilot.plural" -}}
{{- if eq . "StatefulSet" }}statefulsets{{ else }}deployments{{ end }}
{{- end }}
