package main

// toml.go is Helm's toToml: a map encoded in the layout of BurntSushi/toml, the library Helm
// uses. The value goes through JSON first (like toYaml), so whole floats print as integers.

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// toTOMLString encodes a map as TOML in the layout of BurntSushi/toml (Helm's toToml): plain
// keys first, then [tables] indented by two spaces per level, [[arrays of tables]].
func toTOMLString(v interface{}) (string, error) {
	tree, err := jsonRoundTrip(v)
	if err != nil {
		return "", err
	}
	m, ok := tree.(map[string]interface{})
	if !ok {
		return "", fmt.Errorf("toml: top-level values must be Go maps or structs")
	}
	var b strings.Builder
	if err := tomlTable(&b, m, nil); err != nil {
		return "", err
	}
	return b.String(), nil
}

func tomlTable(b *strings.Builder, m map[string]interface{}, path []string) error {
	keys := sortedIfaceKeys(m)
	ind := spaces(2 * len(path))
	for _, k := range keys {
		v := m[k]
		if v == nil || isTable(v) || isTableArray(v) {
			continue
		}
		s, err := tomlValue(v)
		if err != nil {
			return err
		}
		b.WriteString(ind + tomlKey(k) + " = " + s + "\n")
	}
	for _, k := range keys {
		sub := append(append([]string{}, path...), k)
		name := tomlPath(sub)
		switch t := m[k].(type) {
		case map[string]interface{}:
			if b.Len() > 0 {
				b.WriteString("\n")
			}
			b.WriteString(ind + "[" + name + "]\n")
			if err := tomlTable(b, t, sub); err != nil {
				return err
			}
		case []interface{}:
			if !isTableArray(t) {
				continue
			}
			for _, e := range t {
				if b.Len() > 0 {
					b.WriteString("\n")
				}
				b.WriteString(ind + "[[" + name + "]]\n")
				if err := tomlTable(b, e.(map[string]interface{}), sub); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func isTableArray(v interface{}) bool {
	l, ok := v.([]interface{})
	if !ok || len(l) == 0 {
		return false
	}
	for _, e := range l {
		if !isTable(e) {
			return false
		}
	}
	return true
}

func tomlValue(v interface{}) (string, error) {
	switch t := v.(type) {
	case string:
		return strconv.Quote(t), nil
	case bool:
		return strconv.FormatBool(t), nil
	case json.Number:
		s := t.String()
		if strings.ContainsAny(s, ".eE") {
			f, _ := strconv.ParseFloat(s, 64)
			s = strconv.FormatFloat(f, 'f', -1, 64)
			if !strings.Contains(s, ".") {
				s += ".0"
			}
		}
		return s, nil
	case []interface{}:
		parts := make([]string, 0, len(t))
		for _, e := range t {
			if e == nil {
				return "", fmt.Errorf("toml: cannot encode array with nil element")
			}
			s, err := tomlValue(e)
			if err != nil {
				return "", err
			}
			parts = append(parts, s)
		}
		return "[" + strings.Join(parts, ", ") + "]", nil
	case map[string]interface{}:
		return "", fmt.Errorf("toml: cannot encode a table inside an array of values")
	default:
		return "", fmt.Errorf("toml: unsupported type %T", v)
	}
}

func tomlKey(k string) string {
	if k == "" {
		return `""`
	}
	for _, r := range k {
		if !(r == '_' || r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return strconv.Quote(k)
		}
	}
	return k
}

func tomlPath(p []string) string {
	parts := make([]string, len(p))
	for i, k := range p {
		parts[i] = tomlKey(k)
	}
	return strings.Join(parts, ".")
}
