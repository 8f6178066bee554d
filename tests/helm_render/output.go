package main

// output.go turns rendered templates into `helm template`'s stdout: each template split into
// YAML documents, each document checked to be YAML with a Kubernetes-shaped head (as Helm's
// manifest sorter does, so "YAML parse error on ..." fails here too), then printed as
// "---\n# Source: <chart>/templates/<path>\n<document>\n". Hooks (helm.sh/hook) come after
// the other manifests, as in `helm template`.

import (
	"fmt"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// manifest is one YAML document of one template.
type manifest struct {
	Source  string // "<chart>/templates/x.yaml"
	Content string // trimmed document text
}

// docSeparator is Helm's SplitManifests separator: "---" at a line start, with surrounding
// whitespace swallowed.
var docSeparator = regexp.MustCompile(`(?:^|\s*\n)---\s*`)

// Helm's recognised hook events; a hook naming anything else is dropped with a notice.
var hookEvents = map[string]bool{
	"pre-install": true, "post-install": true, "pre-delete": true, "post-delete": true,
	"pre-upgrade": true, "post-upgrade": true, "pre-rollback": true, "post-rollback": true,
	"test": true, "test-success": true,
}

// splitManifests returns the non-empty documents of one rendered template, trimmed.
func splitManifests(content string) []string {
	var out []string
	for _, d := range docSeparator.Split(strings.TrimSpace(content), -1) {
		if d = strings.TrimSpace(d); d != "" {
			out = append(out, d)
		}
	}
	return out
}

// commentOnly reports whether a document holds nothing but comments and blank lines.
func commentOnly(doc string) bool {
	for _, line := range strings.Split(doc, "\n") {
		l := strings.TrimSpace(line)
		if l != "" && !strings.HasPrefix(l, "#") {
			return false
		}
	}
	return true
}

// sortManifests splits every rendered template (partials and NOTES.txt excluded) into documents
// and separates hooks from plain manifests. Two departures from Helm, as the renderer's brief
// asks: documents keep lexical template-path order (Helm orders them by kind: Namespace,
// ServiceAccount, Secret, ConfigMap, ..., Service, Deployment, then by path), and documents
// that hold only comments are dropped (Helm prints them with their # Source line).
func sortManifests(rendered map[string]string, warnf warnFunc) (manifests, hooks []manifest, err error) {
	names := make([]string, 0, len(rendered))
	for n := range rendered {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		if strings.HasPrefix(path.Base(name), "_") || strings.HasSuffix(name, "NOTES.txt") {
			continue
		}
		for _, doc := range splitManifests(rendered[name]) {
			if commentOnly(doc) {
				continue
			}
			hook, err := inspectDocument(name, doc)
			if err != nil {
				return nil, nil, err
			}
			m := manifest{Source: name, Content: doc}
			switch {
			case hook == "":
				manifests = append(manifests, m)
			case knownHook(hook):
				hooks = append(hooks, m)
			default:
				warnf("skipping unknown hook: %q in %s", hook, name)
			}
		}
	}
	return manifests, hooks, nil
}

func knownHook(list string) bool {
	for _, h := range strings.Split(list, ",") {
		if !hookEvents[strings.ToLower(strings.TrimSpace(h))] {
			return false
		}
	}
	return true
}

// inspectDocument parses doc as Helm does (YAML -> JSON -> {apiVersion, kind, metadata{name,
// annotations}}) and returns its helm.sh/hook annotation. Errors use Helm's wording.
func inspectDocument(name, doc string) (string, error) {
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(doc), &n); err != nil {
		return "", fmt.Errorf("YAML parse error on %s: error converting YAML to JSON: %v", name, err)
	}
	if n.Kind == 0 || len(n.Content) == 0 {
		return "", nil
	}
	if err := checkMapKeys(&n, map[*yaml.Node]bool{}); err != nil {
		return "", fmt.Errorf("YAML parse error on %s: error converting YAML to JSON: %v", name, err)
	}
	root := resolveAlias(n.Content[0])
	if root.Kind == yaml.ScalarNode && root.ShortTag() == "!!null" {
		return "", nil
	}
	if root.Kind != yaml.MappingNode {
		return "", headError(name, nodeJSONKind(root), "", "releaseutil.SimpleHead")
	}
	for _, field := range []string{"apiVersion", "kind"} {
		if v := mappingValue(root, field); v != nil && !stringish(v) {
			return "", headError(name, nodeJSONKind(v), "SimpleHead."+field, "string")
		}
	}
	meta := mappingValue(root, "metadata")
	if meta == nil || meta.ShortTag() == "!!null" {
		return "", nil
	}
	if meta.Kind != yaml.MappingNode {
		return "", headError(name, nodeJSONKind(meta), "SimpleHead.metadata", metadataGoType)
	}
	if v := mappingValue(meta, "name"); v != nil && !stringish(v) {
		return "", headError(name, nodeJSONKind(v), ".metadata.name", "string")
	}
	ann := mappingValue(meta, "annotations")
	if ann == nil || ann.ShortTag() == "!!null" {
		return "", nil
	}
	if ann.Kind != yaml.MappingNode {
		return "", headError(name, nodeJSONKind(ann), ".metadata.annotations", "map[string]string")
	}
	hook := ""
	for i := 0; i+1 < len(ann.Content); i += 2 {
		v := resolveAlias(ann.Content[i+1])
		if !stringish(v) {
			// The classic: `prometheus.io/port: 8080` unquoted fails in Helm exactly so.
			return "", headError(name, nodeJSONKind(v), ".metadata.annotations", "string")
		}
		if ann.Content[i].Value == "helm.sh/hook" {
			hook = v.Value
		}
	}
	return hook, nil
}

// metadataGoType is how encoding/json names SimpleHead's anonymous metadata struct.
const metadataGoType = `struct { Name string "json:\"name\""; Annotations map[string]string "json:\"annotations\"" }`

// headError words a type mismatch as encoding/json does inside sigs.k8s.io/yaml: field is
// "Struct.path" ("" for the document itself; the anonymous metadata struct has no name, hence
// ".metadata.annotations").
func headError(name, jsonKind, field, goType string) error {
	target := "Go value"
	if field != "" {
		target = "Go struct field " + field
	}
	return fmt.Errorf("YAML parse error on %s: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal %s into %s of type %s",
		name, jsonKind, target, goType)
}

func resolveAlias(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

func mappingValue(m *yaml.Node, key string) *yaml.Node {
	var found *yaml.Node
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			found = resolveAlias(m.Content[i+1]) // the last duplicate wins, as in Helm
		}
	}
	return found
}

// stringish: the node decodes into a Go string field (a JSON string or null).
func stringish(n *yaml.Node) bool {
	if n.Kind != yaml.ScalarNode {
		return false
	}
	switch n.ShortTag() {
	case "!!str", "!!null", "!!timestamp", "!!binary":
		return true
	}
	return false
}

func nodeJSONKind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "object"
	case yaml.SequenceNode:
		return "array"
	}
	switch n.ShortTag() {
	case "!!bool":
		return "bool"
	case "!!int", "!!float":
		return "number"
	}
	return "string"
}

// formatManifests prints manifests then hooks in `helm template` form.
func formatManifests(manifests, hooks []manifest) string {
	var b strings.Builder
	for _, list := range [][]manifest{manifests, hooks} {
		for _, m := range list {
			fmt.Fprintf(&b, "---\n# Source: %s\n%s\n", m.Source, m.Content)
		}
	}
	return b.String()
}

// showOnly keeps the documents whose template path (without the chart name) matches each
// pattern, pattern by pattern, as `helm template --show-only` does.
func showOnly(all []manifest, patterns []string) ([]manifest, error) {
	var out []manifest
	for _, p := range patterns {
		p = filepath.ToSlash(p)
		found := false
		for _, m := range all {
			rel := m.Source
			if i := strings.Index(rel, "/"); i >= 0 {
				rel = rel[i+1:]
			}
			if ok, _ := filepath.Match(p, rel); ok {
				out = append(out, m)
				found = true
			}
		}
		if !found {
			return nil, fmt.Errorf("could not find template %s in chart", p)
		}
	}
	return out, nil
}

// debugDump is what `helm template --debug` prints when a document is not valid YAML: every
// rendered template as-is, so the user can see the broken text.
func debugDump(rendered map[string]string) string {
	names := make([]string, 0, len(rendered))
	for n := range rendered {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		if strings.TrimSpace(rendered[n]) == "" || strings.HasSuffix(n, "NOTES.txt") {
			continue
		}
		fmt.Fprintf(&b, "---\n# Source: %s\n%s\n", n, rendered[n])
	}
	return b.String()
}
