{{/* The agent's container: the same in the controller Deployment and beside a workload. */}}
{{- define "opspilot.container" -}}
name: opspilot
image: {{ include "opspilot.image" . }}
imagePullPolicy: {{ .Values.image.pullPolicy }}
args: [run, -c, /etc/opspilot/config/opspilot.yaml]
env:
  - name: POD_NAME
    valueFrom:
      fieldRef: {fieldPath: metadata.name}
  - name: POD_NAMESPACE
    valueFrom:
      fieldRef: {fieldPath: metadata.namespace}
  {{- with .Values.extraEnv }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
ports:
  - name: http-opspilot
    containerPort: {{ .Values.port }}
    protocol: TCP
livenessProbe:
  httpGet: {path: /healthz, port: http-opspilot}
  {{- toYaml .Values.probes.liveness | nindent 2 }}
{{- if eq .Values.mode "controller" }}
{{- /* beside a workload, a readiness probe would take the workload's pods out of its Service until the agent has observed once */}}
readinessProbe:
  httpGet: {path: /readyz, port: http-opspilot}
  {{- toYaml .Values.probes.readiness | nindent 2 }}
{{- end }}
resources:
  {{- toYaml .Values.resources | nindent 2 }}
securityContext:
  {{- if eq .Values.mode "sidecar" }}
  {{- /* beside a workload the pod's security context is the workload's: the user and seccomp profile go on the container */}}
  {{- merge (deepCopy .Values.securityContext) (pick .Values.podSecurityContext "runAsUser" "runAsGroup" "seccompProfile") | toYaml | nindent 2 }}
  {{- else }}
  {{- toYaml .Values.securityContext | nindent 2 }}
  {{- end }}
volumeMounts:
  {{- /* a directory, not a subPath: the kubelet then updates the file and the agent applies the change in place */}}
  - {name: opspilot-config, mountPath: /etc/opspilot/config, readOnly: true}
  {{- if include "opspilot.hasPolicies" . }}
  - {name: opspilot-policies, mountPath: /etc/opspilot/policies, readOnly: true}
  {{- end }}
  {{- if include "opspilot.slackSecretMounted" . }}
  - {name: opspilot-slack, mountPath: /etc/opspilot/secrets/slack, readOnly: true}
  {{- end }}
  {{- if .Values.api.tokens }}
  - {name: opspilot-api-tokens, mountPath: /etc/opspilot/secrets/api, readOnly: true}
  {{- end }}
  - {name: opspilot-journal, mountPath: /var/lib/opspilot}
  - {name: opspilot-tmp, mountPath: /tmp}
{{- end }}

{{/* The volumes the container mounts. */}}
{{- define "opspilot.volumes" -}}
- name: opspilot-config
  configMap: {name: {{ include "opspilot.fullname" . }}-config}
{{- if include "opspilot.hasPolicies" . }}
- name: opspilot-policies
  configMap: {name: {{ include "opspilot.policiesConfigMap" . }}}
{{- end }}
{{- if include "opspilot.slackSecretMounted" . }}
- name: opspilot-slack
  secret: {secretName: {{ include "opspilot.slackSecret" . }}, defaultMode: 0400}
{{- end }}
{{- if .Values.api.tokens }}
- name: opspilot-api-tokens
  secret: {secretName: {{ include "opspilot.apiSecret" . }}, defaultMode: 0400}
{{- end }}
{{- if and (eq .Values.mode "controller") .Values.journal.persistence.enabled }}
- name: opspilot-journal
  persistentVolumeClaim: {claimName: {{ default (printf "%s-journal" (include "opspilot.fullname" .)) .Values.journal.persistence.existingClaim }}}
{{- else }}
- name: opspilot-journal
  emptyDir: {sizeLimit: {{ .Values.journal.emptyDirSizeLimit }}}
{{- end }}
- name: opspilot-tmp
  emptyDir: {medium: Memory, sizeLimit: 16Mi}
{{- end }}

{{/* The sidecar container, for charts that include this one. */}}
{{- define "opspilot.sidecar.container" -}}
{{ include "opspilot.container" . }}
{{- end }}
