package main

// values.go reads values files into the shape Helm works with and combines them like Helm 3:
// values files merge into one user map (-f in order), --set/--set-string write into it, and the
// result is coalesced over the chart's values.yaml.
//
// Helm reads YAML through sigs.k8s.io/yaml, which converts YAML to JSON first. So every number
// in a values file becomes a float64 (a 1000000 prints as 1e+06 in a template, as in Helm),
// timestamps stay strings, map keys are strings and a repeated key silently keeps its last
// value. We reproduce that on top of yaml.v3.

import (
	"fmt"
	"os"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// parseValuesYAML decodes one values document (an empty document is an empty map).
func parseValuesYAML(data []byte) (map[string]interface{}, error) {
	v, err := decodeYAMLLikeHelm(data)
	if err != nil {
		return nil, err
	}
	switch t := v.(type) {
	case nil:
		return map[string]interface{}{}, nil
	case map[string]interface{}:
		return t, nil
	default:
		return nil, fmt.Errorf("error unmarshaling JSON: while decoding JSON: json: cannot unmarshal %s into Go value of type map[string]interface {}", jsonKind(t))
	}
}

// decodeYAMLLikeHelm decodes the first YAML document of data into JSON-shaped Go values.
func decodeYAMLLikeHelm(data []byte) (interface{}, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("error converting YAML to JSON: %v", err)
	}
	if doc.Kind == 0 {
		return nil, nil
	}
	prepareNode(&doc, map[*yaml.Node]bool{})
	if err := checkMapKeys(&doc, map[*yaml.Node]bool{}); err != nil {
		return nil, fmt.Errorf("error converting YAML to JSON: %v", err)
	}
	var v interface{}
	if err := doc.Decode(&v); err != nil {
		return nil, fmt.Errorf("error converting YAML to JSON: %v", err)
	}
	return jsonShape(v), nil
}

// prepareNode rewrites the node tree so yaml.v3 decodes it as sigs.k8s.io/yaml would: untagged
// timestamps stay strings and, in a mapping, a repeated key keeps only its last value.
func prepareNode(n *yaml.Node, seen map[*yaml.Node]bool) {
	if n == nil || seen[n] {
		return
	}
	seen[n] = true
	switch n.Kind {
	case yaml.ScalarNode:
		if n.ShortTag() == "!!timestamp" && (n.Tag == "" || n.Tag == "!!timestamp") {
			n.Tag = "!!str"
		}
	case yaml.MappingNode:
		last := map[string]int{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			if k := n.Content[i]; k.Kind == yaml.ScalarNode {
				last[k.Value] = i
			}
		}
		kept := n.Content[:0]
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind == yaml.ScalarNode && k.Value != "<<" && last[k.Value] != i {
				continue
			}
			kept = append(kept, k, n.Content[i+1])
		}
		n.Content = kept
	case yaml.AliasNode:
		prepareNode(n.Alias, seen)
	}
	for _, c := range n.Content {
		prepareNode(c, seen)
	}
}

// checkMapKeys rejects mapping keys that are themselves maps or lists, with yaml.v2's message
// (Helm's YAML library): the classic cause is an unquoted "{{ ... }}" left in a document.
func checkMapKeys(n *yaml.Node, seen map[*yaml.Node]bool) error {
	n = resolveAlias(n)
	if n == nil || seen[n] {
		return nil
	}
	seen[n] = true
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := resolveAlias(n.Content[i])
			if k.Kind != yaml.MappingNode && k.Kind != yaml.SequenceNode {
				continue
			}
			var key interface{}
			if err := k.Decode(&key); err != nil {
				return err
			}
			return fmt.Errorf("yaml: invalid map key: %#v", v2Shape(key))
		}
	}
	for _, c := range n.Content {
		if err := checkMapKeys(c, seen); err != nil {
			return err
		}
	}
	return nil
}

// v2Shape converts yaml.v3 maps to the map[interface{}]interface{} yaml.v2 would produce.
func v2Shape(v interface{}) interface{} {
	switch t := v.(type) {
	case map[string]interface{}:
		m := make(map[interface{}]interface{}, len(t))
		for k, e := range t {
			m[k] = v2Shape(e)
		}
		return m
	case []interface{}:
		for i, e := range t {
			t[i] = v2Shape(e)
		}
		return t
	default:
		return v
	}
}

// jsonShape converts decoded YAML into what a JSON round trip yields: string keys, float64
// numbers, []interface{} lists.
func jsonShape(v interface{}) interface{} {
	switch t := v.(type) {
	case map[string]interface{}:
		for k, e := range t {
			t[k] = jsonShape(e)
		}
		return t
	case map[interface{}]interface{}:
		m := make(map[string]interface{}, len(t))
		for k, e := range t {
			m[keyString(k)] = jsonShape(e)
		}
		return m
	case []interface{}:
		for i, e := range t {
			t[i] = jsonShape(e)
		}
		return t
	case int:
		return float64(t)
	case int64:
		return float64(t)
	case uint64:
		return float64(t)
	case float32:
		return float64(t)
	default:
		return v
	}
}

func keyString(k interface{}) string {
	if k == nil {
		return "null"
	}
	return fmt.Sprint(k)
}

// jsonKind names a value the way encoding/json's UnmarshalTypeError does.
func jsonKind(v interface{}) string {
	switch v.(type) {
	case []interface{}:
		return "array"
	case string:
		return "string"
	case bool:
		return "bool"
	case map[string]interface{}:
		return "object"
	default:
		return "number"
	}
}

// userValues builds the user-supplied map: -f files merged in order, then every --set, then
// every --set-string (Helm applies all --set before any --set-string, whatever the order on
// the command line).
func userValues(files, sets, setStrings []string) (map[string]interface{}, error) {
	base := map[string]interface{}{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		m, err := parseValuesYAML(data)
		if err != nil {
			return nil, fmt.Errorf("failed to parse %s: %v", f, err)
		}
		base = mergeMaps(base, m)
	}
	for _, s := range sets {
		if err := parseSet(s, base, false); err != nil {
			return nil, fmt.Errorf("failed parsing --set data: %v", err)
		}
	}
	for _, s := range setStrings {
		if err := parseSet(s, base, true); err != nil {
			return nil, fmt.Errorf("failed parsing --set-string data: %v", err)
		}
	}
	return base, nil
}

// mergeMaps merges b over a: maps merge recursively, anything else in b replaces a's value
// (including a null, which survives here and deletes the default later in coalescing).
func mergeMaps(a, b map[string]interface{}) map[string]interface{} {
	out := make(map[string]interface{}, len(a))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		if bm, ok := v.(map[string]interface{}); ok {
			if am, ok := out[k].(map[string]interface{}); ok {
				out[k] = mergeMaps(am, bm)
				continue
			}
		}
		out[k] = v
	}
	return out
}

// warnFunc reports a non-fatal problem (Helm logs these and carries on).
type warnFunc func(format string, args ...interface{})

// coalesceValues returns user values layered over the chart defaults: user maps merge into
// default maps, user scalars and lists replace, and a user null deletes the default key.
func coalesceValues(chartName string, defaults, user map[string]interface{}, warnf warnFunc) map[string]interface{} {
	v := deepCopy(user).(map[string]interface{})
	for _, key := range sortedIfaceKeys(defaults) {
		def := deepCopy(defaults[key])
		uv, ok := v[key]
		if !ok {
			v[key] = def
			continue
		}
		if uv == nil {
			delete(v, key)
			continue
		}
		if um, ok := uv.(map[string]interface{}); ok {
			dm, ok := def.(map[string]interface{})
			if !ok {
				if def != nil {
					warnf("skipped value for %s.%s: Not a table.", chartName, key)
				}
				continue
			}
			coalesceTables(um, dm, chartName+"."+key, warnf)
		}
	}
	return v
}

// coalesceTables fills dst (user, higher precedence) from src (defaults), recursively.
func coalesceTables(dst, src map[string]interface{}, prefix string, warnf warnFunc) {
	for _, key := range sortedIfaceKeys(src) {
		val := src[key]
		full := prefix + "." + key
		dv, ok := dst[key]
		switch {
		case ok && dv == nil:
			delete(dst, key)
		case !ok:
			dst[key] = val
		case isTable(val):
			if isTable(dv) {
				coalesceTables(dv.(map[string]interface{}), val.(map[string]interface{}), full, warnf)
			} else {
				warnf("cannot overwrite table with non table for %s (%v)", full, val)
			}
		case isTable(dv) && val != nil:
			warnf("destination for %s is a table. Ignoring non-table value (%v)", full, val)
		}
	}
}

func isTable(v interface{}) bool {
	_, ok := v.(map[string]interface{})
	return ok
}

func sortedIfaceKeys(m map[string]interface{}) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func deepCopy(v interface{}) interface{} {
	switch t := v.(type) {
	case map[string]interface{}:
		m := make(map[string]interface{}, len(t))
		for k, e := range t {
			m[k] = deepCopy(e)
		}
		return m
	case []interface{}:
		l := make([]interface{}, len(t))
		for i, e := range t {
			l[i] = deepCopy(e)
		}
		return l
	default:
		return v
	}
}

// Values is .Values: Helm's chartutil.Values, whose methods (as in Helm) shadow keys of the
// same name in templates.
type Values map[string]interface{}

// YAML encodes the values the way toYaml does.
func (v Values) YAML() (string, error) {
	s, err := toYAMLString(map[string]interface{}(v))
	return s, err
}

// AsMap returns the plain map.
func (v Values) AsMap() map[string]interface{} {
	if len(v) == 0 {
		return map[string]interface{}{}
	}
	return v
}

// Table returns the nested table at a dotted path, e.g. "image.pull".
func (v Values) Table(name string) (Values, error) {
	cur := v
	for _, part := range strings.Split(name, ".") {
		next, ok := cur[part].(map[string]interface{})
		if !ok {
			return Values{}, fmt.Errorf("no table named %q", name)
		}
		cur = next
	}
	return cur, nil
}

// PathValue returns the non-table value at a dotted path.
func (v Values) PathValue(p string) (interface{}, error) {
	parts := strings.Split(p, ".")
	t := v
	if len(parts) > 1 {
		var err error
		if t, err = v.Table(strings.Join(parts[:len(parts)-1], ".")); err != nil {
			return nil, fmt.Errorf("no value found at path %q", p)
		}
	}
	val, ok := t[parts[len(parts)-1]]
	if !ok || isTable(val) {
		return nil, fmt.Errorf("no value found at path %q", p)
	}
	return val, nil
}
