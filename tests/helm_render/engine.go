package main

// engine.go renders a chart's templates as Helm 3's pkg/engine does: every template parsed into
// one template set (so a define in _helpers.tpl is visible everywhere), missingkey=zero,
// sprig's functions minus env/expandenv plus Helm's own, "<no value>" replaced by "", and
// errors rewritten into Helm's "parse error at (...)" / "execution error at (...)" forms.

import (
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig"
)

// fail and required wrap their message in these markers so that the message can be cut back
// out of Go's long exec error, however deeply include/tpl nested it (Helm's warnWrap).
const (
	warnStart        = "HELM_ERR_START"
	warnEnd          = "HELM_ERR_END"
	maxIncludeRepeat = 1000 // Helm's recursionMaxNums
)

var warnRe = regexp.MustCompile(warnStart + `((?s).*)` + warnEnd)

func warnWrap(msg string) string { return warnStart + msg + warnEnd }

// baseFuncMap is sprig's text function map adjusted the way Helm adjusts it; include, tpl,
// required and fail are bound per render in bindFuncs.
func baseFuncMap() template.FuncMap {
	f := sprig.TxtFuncMap()
	delete(f, "env")
	delete(f, "expandenv")
	extra := template.FuncMap{
		"toToml":        toTOML,
		"toYaml":        toYAML,
		"mustToYaml":    mustToYAML,
		"fromYaml":      fromYAML,
		"fromYamlArray": fromYAMLArray,
		"toJson":        toJSON,
		"mustToJson":    mustToJSON,
		"fromJson":      fromJSON,
		"fromJsonArray": fromJSONArray,
		// helm template has no cluster: lookup always finds nothing.
		"lookup": func(apiVersion, kind, namespace, name string) (map[string]interface{}, error) {
			return map[string]interface{}{}, nil
		},
		// DNS lookups are off unless --enable-dns, which we do not offer.
		"getHostByName": func(string) string { return "" },
		"required": func(msg string, val interface{}) (interface{}, error) {
			if val == nil {
				return val, errors.New(warnWrap(msg))
			}
			if s, ok := val.(string); ok && s == "" {
				return val, errors.New(warnWrap(msg))
			}
			return val, nil
		},
		"fail": func(msg string) (string, error) { return "", errors.New(warnWrap(msg)) },
		// Placeholders so parsing succeeds; bindFuncs replaces them with closures over the set.
		"include": func(string, interface{}) string { return "not implemented" },
		"tpl":     func(string, interface{}) interface{} { return "not implemented" },
	}
	for k, v := range extra {
		f[k] = v
	}
	return f
}

// bindFuncs installs include and tpl closed over t, sharing one recursion counter.
func bindFuncs(t *template.Template, included map[string]int) {
	t.Funcs(template.FuncMap{
		"include": includeFunc(t, included),
		"tpl":     tplFunc(t, included),
	})
}

func includeFunc(t *template.Template, included map[string]int) func(string, interface{}) (string, error) {
	return func(name string, data interface{}) (string, error) {
		if included[name] > maxIncludeRepeat {
			return "", fmt.Errorf("rendering template has a nested reference name: %s: unable to execute template", name)
		}
		included[name]++
		defer func() { included[name]-- }()
		var buf strings.Builder
		err := t.ExecuteTemplate(&buf, name, data)
		return buf.String(), err
	}
}

// tplFunc renders a string as a template in a clone of the set, so defines in the string are
// visible to include within it but do not leak back.
func tplFunc(parent *template.Template, included map[string]int) func(string, interface{}) (string, error) {
	return func(text string, vals interface{}) (string, error) {
		t, err := parent.Clone()
		if err != nil {
			return "", fmt.Errorf("cannot clone template: %w", err)
		}
		t.Option("missingkey=zero") // Clone drops options (golang/go#43022).
		bindFuncs(t, included)
		t, err = t.New(parent.Name()).Parse(text)
		if err != nil {
			return "", fmt.Errorf("cannot parse template %q: %w", text, err)
		}
		var buf strings.Builder
		if err := t.Execute(&buf, vals); err != nil {
			return "", fmt.Errorf("error during tpl function execution for %q: %w", text, err)
		}
		return strings.ReplaceAll(buf.String(), "<no value>", ""), nil
	}
}

// renderTemplates executes every template of c with top as the root context and returns the
// output by template name ("<chart>/templates/x.yaml"), partials excluded.
func renderTemplates(c *Chart, top map[string]interface{}) (rendered map[string]string, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("rendering template failed: %v", r)
		}
	}()
	t := template.New("gotpl")
	t.Option("missingkey=zero")
	t.Funcs(baseFuncMap())
	bindFuncs(t, map[string]int{})

	sources := map[string]string{}
	for name, data := range c.Templates {
		sources[c.Metadata.Name+"/"+name] = string(data)
	}
	keys := parseOrder(sources)
	for _, name := range keys {
		if _, err := t.New(name).Parse(sources[name]); err != nil {
			return nil, cleanupParseError(name, err)
		}
	}
	rendered = map[string]string{}
	basePath := c.Metadata.Name + "/templates"
	for _, name := range keys {
		if strings.HasPrefix(path.Base(name), "_") {
			continue
		}
		top["Template"] = Values{"Name": name, "BasePath": basePath}
		var buf strings.Builder
		if err := t.ExecuteTemplate(&buf, name, top); err != nil {
			return nil, cleanupExecError(name, err)
		}
		// missingkey=zero still prints "<no value>" for nil interfaces; Helm blanks them.
		rendered[name] = strings.ReplaceAll(buf.String(), "<no value>", "")
	}
	return rendered, nil
}

// parseOrder is Helm's template order: deeper paths first, then reverse lexical. It decides
// which duplicate define wins (the last parsed) and which failing template is reported.
func parseOrder(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		ca, cb := strings.Count(a, "/"), strings.Count(b, "/")
		if ca != cb {
			return ca > cb
		}
		return a > b
	})
	return keys
}

// cleanupParseError turns "template: x.yaml:3: function "foo" not defined" into Helm's
// "parse error at (x.yaml:3): function "foo" not defined".
func cleanupParseError(name string, err error) error {
	tokens := strings.Split(err.Error(), ": ")
	if len(tokens) == 1 {
		return fmt.Errorf("parse error in (%s): %s", name, err)
	}
	return fmt.Errorf("parse error at (%s): %s", tokens[1], tokens[len(tokens)-1])
}

// cleanupExecError rewrites fail/required errors into Helm's "execution error at (loc): msg";
// other execution errors pass through unchanged, as in Helm.
func cleanupExecError(name string, err error) error {
	var execErr template.ExecError
	if !errors.As(err, &execErr) {
		return err
	}
	tokens := strings.SplitN(err.Error(), ": ", 3)
	if len(tokens) != 3 {
		return fmt.Errorf("execution error in (%s): %s", name, err)
	}
	if parts := warnRe.FindStringSubmatch(tokens[2]); len(parts) >= 2 {
		return fmt.Errorf("execution error at (%s): %s", tokens[1], parts[1])
	}
	return err
}

// Helm's serialisation helpers. Each swallows errors the way Helm's does (an empty string,
// or the error text inside the result) so templates keep rendering.

func toYAML(v interface{}) string {
	s, err := toYAMLString(v)
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(s, "\n")
}

func mustToYAML(v interface{}) (string, error) {
	s, err := toYAMLString(v)
	if err != nil {
		return "", err
	}
	return strings.TrimSuffix(s, "\n"), nil
}

func toTOML(v interface{}) string {
	s, err := toTOMLString(v)
	if err != nil {
		return err.Error()
	}
	return s
}

func fromYAML(s string) map[string]interface{} {
	m := map[string]interface{}{}
	v, err := decodeYAMLLikeHelm([]byte(s))
	switch t := v.(type) {
	case nil:
	case map[string]interface{}:
		m = t
	default:
		err = fmt.Errorf("error unmarshaling JSON: while decoding JSON: json: cannot unmarshal %s into Go value of type map[string]interface {}", jsonKind(t))
	}
	if err != nil {
		m["Error"] = err.Error()
	}
	return m
}

func fromYAMLArray(s string) []interface{} {
	v, err := decodeYAMLLikeHelm([]byte(s))
	if err != nil {
		return []interface{}{err.Error()}
	}
	switch t := v.(type) {
	case nil:
		return []interface{}{}
	case []interface{}:
		return t
	default:
		return []interface{}{fmt.Sprintf("error unmarshaling JSON: while decoding JSON: json: cannot unmarshal %s into Go value of type []interface {}", jsonKind(t))}
	}
}

func toJSON(v interface{}) string {
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(b)
}

func mustToJSON(v interface{}) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

func fromJSON(s string) map[string]interface{} {
	m := map[string]interface{}{}
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		m["Error"] = err.Error()
	}
	return m
}

func fromJSONArray(s string) []interface{} {
	a := []interface{}{}
	if err := json.Unmarshal([]byte(s), &a); err != nil {
		a = []interface{}{err.Error()}
	}
	return a
}
