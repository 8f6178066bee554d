package main

// objects.go holds the built-in objects templates see besides .Values: .Files and
// .Capabilities, with the same method sets as Helm's.

import (
	"encoding/base64"
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"
)

// Files is .Files: chart files outside templates/ by slash-separated path (Helm's engine.files).
type Files map[string][]byte

// Get returns a file's content, or "" when there is no such file.
func (f Files) Get(name string) string { return string(f.GetBytes(name)) }

// GetBytes returns a file's content, or nil.
func (f Files) GetBytes(name string) []byte {
	if v, ok := f[name]; ok {
		return v
	}
	return nil
}

// Glob returns the files whose path matches pattern (gobwas/glob syntax with '/' as separator:
// "*" stays within a directory, "**" crosses directories, plus ?, [...] and {a,b}).
func (f Files) Glob(pattern string) Files {
	re, err := globRegexp(pattern)
	if err != nil {
		re = regexp.MustCompile(`^.*$`) // Helm falls back to "**" on a bad pattern.
	}
	out := Files{}
	for name, data := range f {
		if re.MatchString(name) {
			out[name] = data
		}
	}
	return out
}

// AsConfig renders the files as a ConfigMap data block: base name -> content, as YAML.
func (f Files) AsConfig() string {
	if len(f) == 0 {
		return ""
	}
	m := map[string]string{}
	for k, v := range f {
		m[path.Base(k)] = string(v)
	}
	return toYAML(m)
}

// AsSecrets renders the files as a Secret data block: base name -> base64 content, as YAML.
func (f Files) AsSecrets() string {
	if len(f) == 0 {
		return ""
	}
	m := map[string]string{}
	for k, v := range f {
		m[path.Base(k)] = base64.StdEncoding.EncodeToString(v)
	}
	return toYAML(m)
}

// Lines splits a file into lines (without a final empty line for a trailing newline).
func (f Files) Lines(name string) []string {
	data, ok := f[name]
	if !ok || len(data) == 0 {
		return []string{}
	}
	s := string(data)
	s = strings.TrimSuffix(s, "\n")
	return strings.Split(s, "\n")
}

// globRegexp translates a gobwas/glob pattern (separator '/') into an anchored regexp.
func globRegexp(pattern string) (*regexp.Regexp, error) {
	var b strings.Builder
	b.WriteString("^")
	rs := []rune(pattern)
	depth := 0 // nesting of {a,b} alternatives
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case r == '*' && i+1 < len(rs) && rs[i+1] == '*':
			b.WriteString(".*")
			i++
		case r == '*':
			b.WriteString("[^/]*")
		case r == '?':
			b.WriteString("[^/]")
		case r == '[':
			j := i + 1
			for j < len(rs) && rs[j] != ']' {
				j++
			}
			if j >= len(rs) {
				return nil, fmt.Errorf("unclosed [ in glob %q", pattern)
			}
			class := string(rs[i+1 : j])
			if strings.HasPrefix(class, "!") {
				class = "^" + class[1:]
			}
			b.WriteString("[" + strings.ReplaceAll(class, `\`, `\\`) + "]")
			i = j
		case r == '{':
			depth++
			b.WriteString("(?:")
		case r == '}' && depth > 0:
			depth--
			b.WriteString(")")
		case r == ',' && depth > 0:
			b.WriteString("|")
		case r == '\\' && i+1 < len(rs):
			i++
			b.WriteString(regexp.QuoteMeta(string(rs[i])))
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	if depth != 0 {
		return nil, fmt.Errorf("unclosed { in glob %q", pattern)
	}
	b.WriteString("$")
	return regexp.Compile(b.String())
}

// KubeVersion is .Capabilities.KubeVersion.
type KubeVersion struct {
	Version string // e.g. "v1.32.4"
	Major   string
	Minor   string
}

// String implements fmt.Stringer (templates print the version).
func (kv KubeVersion) String() string { return kv.Version }

// GitVersion is Helm's deprecated alias of Version.
func (kv KubeVersion) GitVersion() string { return kv.Version }

// VersionSet is .Capabilities.APIVersions.
type VersionSet []string

// Has reports whether a group/version ("apps/v1") or group/version/kind is available.
func (v VersionSet) Has(apiVersion string) bool {
	for _, x := range v {
		if x == apiVersion {
			return true
		}
	}
	return false
}

// BuildInfo is .Capabilities.HelmVersion.
type BuildInfo struct {
	Version      string `json:"version,omitempty"`
	GitCommit    string `json:"git_commit,omitempty"`
	GitTreeState string `json:"git_tree_state,omitempty"`
	GoVersion    string `json:"go_version,omitempty"`
}

// Capabilities is .Capabilities.
type Capabilities struct {
	KubeVersion KubeVersion
	APIVersions VersionSet
	HelmVersion BuildInfo
}

// emulatedHelmVersion is the Helm release whose behaviour this renderer follows.
const emulatedHelmVersion = "v3.17.3"

var kubeVersionRe = regexp.MustCompile(`^v?([0-9]+)\.([0-9]+)(\.([0-9]+))?(-[0-9A-Za-z.\-]+)?(\+[0-9A-Za-z.\-]+)?$`)

// parseKubeVersion accepts what Helm's --kube-version accepts ("1.32.4", "v1.32", ...).
func parseKubeVersion(s string) (KubeVersion, error) {
	m := kubeVersionRe.FindStringSubmatch(s)
	if m == nil {
		return KubeVersion{}, fmt.Errorf("invalid kube version %q: expected MAJOR.MINOR[.PATCH], e.g. 1.32.4", s)
	}
	major, _ := strconv.ParseUint(m[1], 10, 64)
	minor, _ := strconv.ParseUint(m[2], 10, 64)
	patch := uint64(0)
	if m[4] != "" {
		patch, _ = strconv.ParseUint(m[4], 10, 64)
	}
	v := fmt.Sprintf("v%d.%d.%d%s%s", major, minor, patch, m[5], m[6])
	return KubeVersion{Version: v, Major: strconv.FormatUint(major, 10), Minor: strconv.FormatUint(minor, 10)}, nil
}

// builtinGroupVersions is the group/version list `helm template` answers true for without a
// cluster: every group/version compiled into Helm's client-go scheme (client-go v0.32) plus
// apiextensions. Note it is a union over releases, not one real cluster's surface.
var builtinGroupVersions = []string{
	"v1",
	"admissionregistration.k8s.io/v1", "admissionregistration.k8s.io/v1alpha1", "admissionregistration.k8s.io/v1beta1",
	"internal.apiserver.k8s.io/v1alpha1",
	"apps/v1", "apps/v1beta1", "apps/v1beta2",
	"authentication.k8s.io/v1", "authentication.k8s.io/v1alpha1", "authentication.k8s.io/v1beta1",
	"authorization.k8s.io/v1", "authorization.k8s.io/v1beta1",
	"autoscaling/v1", "autoscaling/v2", "autoscaling/v2beta1", "autoscaling/v2beta2",
	"batch/v1", "batch/v1beta1",
	"certificates.k8s.io/v1", "certificates.k8s.io/v1alpha1", "certificates.k8s.io/v1beta1",
	"coordination.k8s.io/v1", "coordination.k8s.io/v1alpha2", "coordination.k8s.io/v1beta1",
	"discovery.k8s.io/v1", "discovery.k8s.io/v1beta1",
	"events.k8s.io/v1", "events.k8s.io/v1beta1",
	"extensions/v1beta1",
	"flowcontrol.apiserver.k8s.io/v1", "flowcontrol.apiserver.k8s.io/v1beta1",
	"flowcontrol.apiserver.k8s.io/v1beta2", "flowcontrol.apiserver.k8s.io/v1beta3",
	"networking.k8s.io/v1", "networking.k8s.io/v1alpha1", "networking.k8s.io/v1beta1",
	"node.k8s.io/v1", "node.k8s.io/v1alpha1", "node.k8s.io/v1beta1",
	"policy/v1", "policy/v1beta1",
	"rbac.authorization.k8s.io/v1", "rbac.authorization.k8s.io/v1alpha1", "rbac.authorization.k8s.io/v1beta1",
	"resource.k8s.io/v1alpha3", "resource.k8s.io/v1beta1",
	"scheduling.k8s.io/v1", "scheduling.k8s.io/v1alpha1", "scheduling.k8s.io/v1beta1",
	"storage.k8s.io/v1", "storage.k8s.io/v1alpha1", "storage.k8s.io/v1beta1",
	"storagemigration.k8s.io/v1alpha1",
	"apiextensions.k8s.io/v1", "apiextensions.k8s.io/v1beta1",
}

// builtinKinds adds "group/version/Kind" entries for the GA resources of Kubernetes 1.32, as a
// live cluster's discovery would. Plain `helm template` lists group/versions only; the kinds are
// here so a chart gating on e.g. "policy/v1/PodDisruptionBudget" renders as it would when
// installed into a 1.32 cluster.
var builtinKinds = map[string][]string{
	"v1": {"Binding", "ComponentStatus", "ConfigMap", "Endpoints", "Event", "LimitRange", "Namespace", "Node",
		"PersistentVolume", "PersistentVolumeClaim", "Pod", "PodTemplate", "ReplicationController",
		"ResourceQuota", "Secret", "Service", "ServiceAccount"},
	"admissionregistration.k8s.io/v1": {"MutatingWebhookConfiguration", "ValidatingAdmissionPolicy",
		"ValidatingAdmissionPolicyBinding", "ValidatingWebhookConfiguration"},
	"apiextensions.k8s.io/v1":         {"CustomResourceDefinition"},
	"apps/v1":                         {"ControllerRevision", "DaemonSet", "Deployment", "ReplicaSet", "StatefulSet"},
	"autoscaling/v1":                  {"HorizontalPodAutoscaler"},
	"autoscaling/v2":                  {"HorizontalPodAutoscaler"},
	"batch/v1":                        {"CronJob", "Job"},
	"certificates.k8s.io/v1":          {"CertificateSigningRequest"},
	"coordination.k8s.io/v1":          {"Lease"},
	"discovery.k8s.io/v1":             {"EndpointSlice"},
	"events.k8s.io/v1":                {"Event"},
	"flowcontrol.apiserver.k8s.io/v1": {"FlowSchema", "PriorityLevelConfiguration"},
	"networking.k8s.io/v1":            {"Ingress", "IngressClass", "NetworkPolicy"},
	"node.k8s.io/v1":                  {"RuntimeClass"},
	"policy/v1":                       {"PodDisruptionBudget"},
	"rbac.authorization.k8s.io/v1":    {"ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"},
	"scheduling.k8s.io/v1":            {"PriorityClass"},
	"storage.k8s.io/v1":               {"CSIDriver", "CSINode", "CSIStorageCapacity", "StorageClass", "VolumeAttachment"},
}

// newCapabilities builds .Capabilities; extra entries (--api-versions) are appended as in Helm.
func newCapabilities(kube KubeVersion, extra []string) *Capabilities {
	vs := VersionSet{}
	vs = append(vs, builtinGroupVersions...)
	for _, gv := range builtinGroupVersions {
		for _, k := range builtinKinds[gv] {
			vs = append(vs, gv+"/"+k)
		}
	}
	vs = append(vs, extra...)
	return &Capabilities{
		KubeVersion: kube,
		APIVersions: vs,
		HelmVersion: BuildInfo{Version: emulatedHelmVersion, GitTreeState: "clean", GoVersion: "go1.19"},
	}
}
