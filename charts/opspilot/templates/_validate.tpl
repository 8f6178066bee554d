{{/*
Checks of the values, run by the config ConfigMap (rendered in every mode), so that a bad
combination fails `helm install`/`helm template` with a message naming the value instead of
failing in the cluster.
*/}}
{{- define "opspilot.validate" -}}
{{- $v := .Values }}
{{- if not (has $v.mode (list "controller" "sidecar")) }}
{{- fail (printf "mode: %q is not a mode; expected controller or sidecar" (toString $v.mode)) }}
{{- end }}
{{- if eq $v.mode "controller" }}
{{- if $v.sidecar.workload.name }}
{{- fail (printf "mode: controller, but sidecar.workload.name is set (%q): one release runs one mode; unset sidecar.workload.name, or set mode: sidecar and drop targets" $v.sidecar.workload.name) }}
{{- end }}
{{- $_ := required "prometheus.url is required in controller mode (the Prometheus HTTP API every target's PromQL is sent to)" $v.prometheus.url }}
{{- if not $v.targets }}
{{- fail "targets: controller mode needs at least one target (name, metrics.load, ...)" }}
{{- end }}
{{- if and (gt (int $v.controller.replicas) 1) (not $v.controller.leaderElection.enabled) }}
{{- fail (printf "controller.replicas: %v replicas need controller.leaderElection.enabled: true, or two agents would act on the same targets" $v.controller.replicas) }}
{{- end }}
{{- if and $v.journal.persistence.enabled (gt (int $v.controller.replicas) 1) (not (has "ReadWriteMany" $v.journal.persistence.accessModes)) }}
{{- fail (printf "journal.persistence.enabled with controller.replicas: %v: a ReadWriteOnce volume cannot be shared by two replicas; use controller.replicas: 1 with persistence, or keep the emptyDir journal (journal.persistence.enabled: false)" $v.controller.replicas) }}
{{- end }}
{{- end }}
{{- if eq $v.mode "sidecar" }}
{{- if $v.targets }}
{{- fail (printf "mode: sidecar, but targets has %d entries (controller mode): one release runs one mode; a sidecar manages only sidecar.workload" (len $v.targets)) }}
{{- end }}
{{- $_ := required "sidecar.workload.name is required in sidecar mode (the Deployment or StatefulSet the sidecar is added to)" $v.sidecar.workload.name }}
{{- if not $v.sidecar.metrics.load }}
{{- fail (printf "sidecar.metrics.load is required: a target without metrics cannot be planned for (workload %q)" $v.sidecar.workload.name) }}
{{- end }}
{{- if $v.prometheus.url }}
{{- fail "prometheus.url is set, but mode is sidecar: a sidecar scrapes its workload on localhost; unset prometheus.url or use mode: controller" }}
{{- end }}
{{- end }}
{{- $namespaces := include "opspilot.namespaces" . | fromYamlArray }}
{{- $names := dict }}
{{- range $i, $t := include "opspilot.targets" . | fromYamlArray }}
{{- $where := printf "targets[%d]" $i }}
{{- if eq $v.mode "sidecar" }}{{ $where = "sidecar.workload" }}{{ end }}
{{- if not $t.name }}
{{- fail (printf "%s.name is required" $where) }}
{{- end }}
{{- if not (has $t.kind (list "Deployment" "StatefulSet")) }}
{{- fail (printf "%s.kind: %q is not a kind this chart manages; expected Deployment or StatefulSet" $where (toString $t.kind)) }}
{{- end }}
{{- if not $t.metrics }}
{{- fail (printf "%s (%s): metrics is required: a target without metrics cannot be planned for (metrics.load at least)" $where $t.name) }}
{{- end }}
{{- if not $t.metrics.load }}
{{- fail (printf "%s (%s): metrics.load is required (the PromQL of the load the target serves)" $where $t.name) }}
{{- end }}
{{- if not (has (toString $t.namespace) $namespaces) }}
{{- fail (printf "%s (%s): namespace %q is not in controller.namespaces %v" $where $t.name (toString $t.namespace) $namespaces) }}
{{- end }}
{{- $key := printf "%s/%s" $t.namespace $t.name }}
{{- if hasKey $names $key }}
{{- fail (printf "%s: target %s is listed twice" $where $key) }}
{{- end }}
{{- $_ := set $names $key true }}
{{- end }}
{{- if and (not $v.dryRun) (not (include "opspilot.hasPolicies" .)) }}
{{- fail "dryRun: false needs at least one policy (policies.files or policies.existingConfigMap): an agent that acts must be bounded by policies; keep dryRun: true to plan only" }}
{{- end }}
{{- if $v.approvals.slack.enabled }}
{{- if and (not $v.approvals.slack.webhookUrl) (not $v.approvals.slack.channel) }}
{{- fail "approvals.slack.channel is required with a bot token (or set approvals.slack.webhookUrl)" }}
{{- end }}
{{- if and (not $v.approvals.slack.existingSecret) (not $v.approvals.slack.webhookUrl) (not $v.approvals.slack.botToken) }}
{{- fail "approvals.slack.enabled: set approvals.slack.existingSecret (keys bot-token, signing-secret) or approvals.slack.botToken and signingSecret" }}
{{- end }}
{{- if and (not $v.approvals.slack.existingSecret) (not $v.approvals.slack.signingSecret) }}
{{- fail "approvals.slack.signingSecret is required with approvals.slack.enabled (the Approve/Deny callbacks are verified with it), or set approvals.slack.existingSecret" }}
{{- end }}
{{- end }}
{{- range $i, $tok := $v.api.tokens }}
{{- if not $tok.name }}
{{- fail (printf "api.tokens[%d].name is required" $i) }}
{{- end }}
{{- if not (has (toString $tok.role) (list "viewer" "operator" "approver" "admin")) }}
{{- fail (printf "api.tokens[%d].role: %q; expected viewer, operator, approver or admin" $i (toString $tok.role)) }}
{{- end }}
{{- if and (not $v.api.existingSecret) (not (hasKey $v.api.secrets $tok.name)) }}
{{- fail (printf "api.tokens[%d] (%s): no secret: set api.secrets.%s or api.existingSecret" $i $tok.name $tok.name) }}
{{- end }}
{{- end }}
{{- end }}
