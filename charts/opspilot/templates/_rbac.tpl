{{/*
The RBAC rules for a set of targets, as a YAML list, generated from what is enabled:
  always                  get, list, watch on the targets' kinds (the actuator reads them to act
                          and to verify rollouts)
  actions.scale           get, patch on <kind>/scale, only the targets by name
  actions.restart         patch on the targets by name (the restartedAt annotation), get on pods
                          and create on pods/eviction (one bad pod)
  actions.rollback        update on the Deployments by name, list on replicasets (to find the
                          previous revision)
Write rules only when dryRun is false. Argument: (dict "root" $ "targets" <list>).
*/}}
{{- define "opspilot.rbacRules" -}}
{{- $v := .root.Values }}
{{- $active := not $v.dryRun }}
{{- $byPlural := dict }}
{{- range .targets }}
{{- $p := include "opspilot.plural" .kind }}
{{- $_ := set $byPlural $p (append (get $byPlural $p | default list) (toString .name)) }}
{{- end }}
{{- $plurals := keys $byPlural | sortAlpha }}
{{- $rules := list (dict "apiGroups" (list "apps") "resources" $plurals "verbs" (list "get" "list" "watch")) }}
{{- if and $active $v.actions.scale }}
{{- range $plurals }}
{{- $rules = append $rules (dict "apiGroups" (list "apps") "resources" (list (printf "%s/scale" .)) "resourceNames" (get $byPlural . | uniq | sortAlpha) "verbs" (list "get" "patch")) }}
{{- end }}
{{- end }}
{{- if and $active $v.actions.restart }}
{{- range $plurals }}
{{- $rules = append $rules (dict "apiGroups" (list "apps") "resources" (list .) "resourceNames" (get $byPlural . | uniq | sortAlpha) "verbs" (list "patch")) }}
{{- end }}
{{- $rules = append $rules (dict "apiGroups" (list "") "resources" (list "pods") "verbs" (list "get")) }}
{{- $rules = append $rules (dict "apiGroups" (list "") "resources" (list "pods/eviction") "verbs" (list "create")) }}
{{- end }}
{{- if and $active $v.actions.rollback (hasKey $byPlural "deployments") }}
{{- $rules = append $rules (dict "apiGroups" (list "apps") "resources" (list "deployments") "resourceNames" (get $byPlural "deployments" | uniq | sortAlpha) "verbs" (list "update")) }}
{{- $rules = append $rules (dict "apiGroups" (list "apps") "resources" (list "replicasets") "verbs" (list "list")) }}
{{- end }}
{{- toYaml $rules }}
{{- end }}
