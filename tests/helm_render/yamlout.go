package main

// yamlout.go writes YAML the way Helm's toYaml does. Helm calls sigs.k8s.io/yaml.Marshal, which
// marshals to JSON (struct json tags, NaN/Inf rejected), reads the JSON back with yaml.v2 and
// prints it with yaml.v2: block style, 2-space indent, map keys in yaml.v2's "natural" order
// (a2 < a10), sequences not indented under their key ("key:\n- item"), whole numbers as
// integers, and long strings folded at spaces past column 80 (yaml.v2's default width). We
// produce the same bytes: yaml.v3 chooses each scalar's quoting (the two libraries share that
// logic, but yaml.v3 never folds), and foldScalar re-applies yaml.v2's folding rule.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"gopkg.in/yaml.v3"
)

// toYAMLString marshals v; the result ends with a newline, like yaml.Marshal.
func toYAMLString(v interface{}) (string, error) {
	tree, err := jsonRoundTrip(v)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	switch t := tree.(type) {
	case map[string]interface{}:
		if len(t) == 0 {
			b.WriteString("{}\n")
		} else {
			emitMap(&b, t, 0)
		}
	case []interface{}:
		if len(t) == 0 {
			b.WriteString("[]\n")
		} else {
			emitList(&b, t, 0)
		}
	default:
		if err := emitScalarValue(&b, t, 0, 2, ""); err != nil {
			return "", err
		}
	}
	return b.String(), nil
}

// jsonRoundTrip marshals v to JSON and decodes it back with numbers kept as json.Number.
func jsonRoundTrip(v interface{}) (interface{}, error) {
	j, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("error marshaling into JSON: %v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(j))
	dec.UseNumber()
	var tree interface{}
	if err := dec.Decode(&tree); err != nil {
		return nil, err
	}
	return tree, nil
}

func spaces(n int) string { return strings.Repeat(" ", n) }

func emitMap(b *strings.Builder, m map[string]interface{}, indent int) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return naturalLess(keys[i], keys[j]) })
	for _, k := range keys {
		head, _, _ := scalarText(k)
		b.WriteString(spaces(indent) + head + ":")
		emitValue(b, m[k], indent, indent+len([]rune(head))+2)
	}
}

// emitValue writes what follows "key:" for a key at column indent; a scalar value would start
// at column col.
func emitValue(b *strings.Builder, v interface{}, indent, col int) {
	switch t := v.(type) {
	case map[string]interface{}:
		if len(t) == 0 {
			b.WriteString(" {}\n")
			return
		}
		b.WriteString("\n")
		emitMap(b, t, indent+2)
	case []interface{}:
		if len(t) == 0 {
			b.WriteString(" []\n")
			return
		}
		b.WriteString("\n")
		emitList(b, t, indent) // yaml.v2: "- " at the key's own column
	default:
		_ = emitScalarValue(b, t, col, indent+2, " ")
	}
}

func emitList(b *strings.Builder, l []interface{}, indent int) {
	for _, item := range l {
		b.WriteString(spaces(indent) + "-")
		switch t := item.(type) {
		case map[string]interface{}:
			if len(t) == 0 {
				b.WriteString(" {}\n")
				continue
			}
			var inner strings.Builder
			emitMap(&inner, t, indent+2)
			b.WriteString(" " + strings.TrimPrefix(inner.String(), spaces(indent+2)))
		case []interface{}:
			if len(t) == 0 {
				b.WriteString(" []\n")
				continue
			}
			var inner strings.Builder
			emitList(&inner, t, indent+2)
			b.WriteString(" " + strings.TrimPrefix(inner.String(), spaces(indent+2)))
		default:
			_ = emitScalarValue(b, t, indent+2, indent+2, " ")
		}
	}
}

// emitScalarValue writes sep and the scalar starting at column col; long flow scalars fold onto
// lines at blockIndent and block scalars' lines go there too.
func emitScalarValue(b *strings.Builder, v interface{}, col, blockIndent int, sep string) error {
	head, rest, err := scalarText(v)
	if err != nil {
		return err
	}
	if _, isString := v.(string); isString && len(rest) == 0 {
		head = foldScalar(head, col, blockIndent)
	}
	b.WriteString(sep + head + "\n")
	for _, line := range rest {
		if line != "" {
			b.WriteString(spaces(blockIndent) + line)
		}
		b.WriteString("\n")
	}
	return nil
}

// scalarText renders a JSON scalar: the first line, plus the body lines (relative to the block
// indentation) when yaml chose a literal block for a multi-line string.
func scalarText(v interface{}) (string, []string, error) {
	switch t := v.(type) {
	case nil:
		return "null", nil, nil
	case bool:
		return strconv.FormatBool(t), nil, nil
	case json.Number:
		return numberText(t), nil, nil
	case string:
		var node interface{} = t
		if strings.Contains(t, "\n") && strings.Contains(t, "\t") {
			// yaml.v3 allows tabs in a literal block, yaml.v2 does not and double-quotes.
			node = &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: t, Style: yaml.DoubleQuotedStyle}
		}
		var buf bytes.Buffer
		enc := yaml.NewEncoder(&buf)
		enc.SetIndent(2)
		if err := enc.Encode(node); err != nil {
			return "", nil, err
		}
		_ = enc.Close()
		lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
		rest := lines[1:]
		for i, l := range rest {
			rest[i] = strings.TrimPrefix(l, "  ")
		}
		if strings.HasPrefix(lines[0], "|") && strings.HasPrefix(t, "\n") {
			// yaml.v3 drops the first of a block's leading empty lines (changing the value);
			// yaml.v2, and so Helm, keeps it.
			rest = append([]string{""}, rest...)
		}
		return lines[0], rest, nil
	default:
		return "", nil, fmt.Errorf("cannot encode %T as YAML", v)
	}
}

// yamlV2Width is yaml.v2's default preferred line width (sigs.k8s.io/yaml does not change it).
const yamlV2Width = 80

// foldScalar applies yaml.v2's line folding to a one-line plain, 'single' or "double" quoted
// scalar that starts at column col: at a single space, once the column is past 80 and more
// text follows, the space becomes a line break plus indent spaces (in double quotes a leading
// space on the new line is protected with a backslash).
func foldScalar(text string, col, indent int) string {
	rs := []rune(text)
	if len(rs) == 0 {
		return text
	}
	quote := rune(0)
	inner := rs
	if rs[0] == '\'' || rs[0] == '"' {
		quote = rs[0]
		inner = rs[1 : len(rs)-1]
		col++ // the opening quote
	}
	var out []rune
	if quote != 0 {
		out = append(out, quote)
	}
	column, afterSpace := col, false
	for i := 0; i < len(inner); i++ {
		r := inner[i]
		if r != ' ' {
			out = append(out, r)
			column++
			afterSpace = false
			if quote == '"' && r == '\\' && i+1 < len(inner) { // an escape: one unit, never a space
				i++
				out = append(out, inner[i])
				column++
			}
			continue
		}
		nextIsSpace := i+1 < len(inner) && inner[i+1] == ' '
		canBreak := !afterSpace && column > yamlV2Width
		switch quote {
		case 0:
			canBreak = canBreak && i+1 < len(inner) && !nextIsSpace
		case '\'':
			canBreak = canBreak && i > 0 && i < len(inner)-1 && !nextIsSpace
		default:
			canBreak = canBreak && i > 0 && i < len(inner)-1
		}
		if canBreak {
			out = append(out, '\n')
			out = append(out, []rune(spaces(indent))...)
			column = indent
			if quote == '"' && nextIsSpace {
				out = append(out, '\\')
				column++
			}
		} else {
			out = append(out, r)
			column++
		}
		afterSpace = true
	}
	if quote != 0 {
		out = append(out, quote)
	}
	return string(out)
}

// numberText prints a JSON number as yaml.v2 prints what it parsed: integers verbatim, other
// numbers through strconv's shortest 'g' form (1e+21, 0.5, 1e-07).
func numberText(n json.Number) string {
	s := n.String()
	if !strings.ContainsAny(s, ".eE") {
		if _, err := strconv.ParseInt(s, 10, 64); err == nil {
			return s
		}
		if _, err := strconv.ParseUint(s, 10, 64); err == nil {
			return s
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return s
	}
	switch {
	case math.IsInf(f, 1):
		return ".inf"
	case math.IsInf(f, -1):
		return "-.inf"
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// naturalLess orders map keys as yaml.v2 does: letters after other characters, and runs of
// digits compared by value, so "a2" < "a10" and "port" < "port2".
func naturalLess(a, b string) bool {
	ar, br := []rune(a), []rune(b)
	for i := 0; i < len(ar) && i < len(br); i++ {
		if ar[i] == br[i] {
			continue
		}
		al, bl := unicode.IsLetter(ar[i]), unicode.IsLetter(br[i])
		if al && bl {
			return ar[i] < br[i]
		}
		if al || bl {
			return bl
		}
		// A digit run that continues an earlier non-zero digit run is compared as a whole
		// number; a leading zero otherwise counts as a distinct shorter number.
		var an, bn int64
		if ar[i] == '0' || br[i] == '0' {
			for j := i - 1; j >= 0 && unicode.IsDigit(ar[j]); j-- {
				if ar[j] != '0' {
					an, bn = 1, 1
					break
				}
			}
		}
		ai, bi := i, i
		for ; ai < len(ar) && unicode.IsDigit(ar[ai]); ai++ {
			an = an*10 + int64(ar[ai]-'0')
		}
		for ; bi < len(br) && unicode.IsDigit(br[bi]); bi++ {
			bn = bn*10 + int64(br[bi]-'0')
		}
		if an != bn {
			return an < bn
		}
		if ai != bi {
			return ai < bi
		}
		return ar[i] < br[i]
	}
	return len(ar) < len(br)
}
