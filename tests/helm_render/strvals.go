package main

// strvals.go parses --set / --set-string arguments with Helm 3's grammar:
//
//	name=value,other.name=value      comma-separated assignments, dotted paths make maps
//	list={a,b,c}                     a list of values
//	list[0].name=value, m[1][0]=v    indexes into lists (grown with nulls as needed)
//	a\.b=c, a=x\,y                   a backslash escapes the next character
//
// With --set a value is typed like Helm: true/false (any case), null, 0, integers without a
// leading zero become int64; everything else (floats too) stays a string. --set-string keeps
// every value a string.

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

const (
	maxSetIndex   = 65536 // Helm's MaxIndex
	maxSetNesting = 30    // Helm's MaxNestedNameLevel
)

var errEndOfInput = errors.New("end of input")
var errNotList = errors.New("not a list")

type setParser struct {
	in          []rune
	pos         int
	forceString bool
}

// parseSet applies one --set argument to dest.
func parseSet(s string, dest map[string]interface{}, forceString bool) error {
	p := &setParser{in: []rune(s), forceString: forceString}
	for {
		err := p.key(dest, 0)
		if err == nil {
			continue
		}
		if errors.Is(err, errEndOfInput) {
			return nil
		}
		return err
	}
}

// readUntil consumes runes up to (and including) one of stops, resolving backslash escapes.
// It returns the text read, the stop rune, and errEndOfInput when the input ran out first.
func (p *setParser) readUntil(stops string) ([]rune, rune, error) {
	var out []rune
	for p.pos < len(p.in) {
		r := p.in[p.pos]
		p.pos++
		if strings.ContainsRune(stops, r) {
			return out, r, nil
		}
		if r == '\\' {
			if p.pos >= len(p.in) {
				return out, 0, errEndOfInput
			}
			r = p.in[p.pos]
			p.pos++
		}
		out = append(out, r)
	}
	return out, 0, errEndOfInput
}

func (p *setParser) typed(v []rune) interface{} {
	s := string(v)
	if p.forceString {
		return s
	}
	switch {
	case strings.EqualFold(s, "true"):
		return true
	case strings.EqualFold(s, "false"):
		return false
	case strings.EqualFold(s, "null"):
		return nil
	case s == "0":
		return int64(0)
	}
	if s != "" && s[0] != '0' {
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return i
		}
	}
	return s
}

// key reads one path segment of an assignment into data.
func (p *setParser) key(data map[string]interface{}, depth int) error {
	k, last, err := p.readUntil("=[,.")
	name := string(k)
	switch {
	case err != nil:
		if len(k) == 0 {
			return err
		}
		return fmt.Errorf("key %q has no value", name)
	case last == '[':
		i, err := p.index()
		if err != nil {
			return fmt.Errorf("error parsing index: %w", err)
		}
		list := []interface{}{}
		if existing, ok := data[name]; ok && existing != nil {
			if list, ok = existing.([]interface{}); !ok {
				return fmt.Errorf("unable to parse key: %q is %s, not a list", name, describe(existing))
			}
		}
		list, err = p.listItem(list, i, depth)
		setKey(data, name, list)
		return err
	case last == '=':
		vl, err := p.valueList()
		switch {
		case err == nil:
			setKey(data, name, vl)
			return nil
		case errors.Is(err, errEndOfInput):
			setKey(data, name, "")
			return err
		case errors.Is(err, errNotList):
			rs, err := p.readValue()
			if err != nil && !errors.Is(err, errEndOfInput) {
				return err
			}
			setKey(data, name, p.typed(rs))
			// Not err: the next call notices the end of input. Returning it here would make a
			// list element assignment ("a[1].b=c" at the very end) drop its value.
			return nil
		default:
			return err
		}
	case last == ',':
		setKey(data, name, "")
		return fmt.Errorf("key %q has no value (cannot end with ,)", name)
	default: // '.'
		depth++
		if depth > maxSetNesting {
			return fmt.Errorf("value name nested level is greater than maximum supported nested level of %d", maxSetNesting)
		}
		inner := map[string]interface{}{}
		if existing, ok := data[name]; ok && existing != nil {
			if inner, ok = existing.(map[string]interface{}); !ok {
				return fmt.Errorf("unable to parse key: %q is %s, not a map", name, describe(existing))
			}
		}
		err := p.key(inner, depth)
		if err == nil && len(inner) == 0 {
			return fmt.Errorf("key map %q has no value", name)
		}
		if len(inner) != 0 {
			setKey(data, name, inner)
		}
		return err
	}
}

// readValue reads a plain (non-list) value up to the next unescaped comma.
func (p *setParser) readValue() ([]rune, error) {
	v, _, err := p.readUntil(",")
	return v, err
}

func setKey(data map[string]interface{}, key string, val interface{}) {
	if key == "" { // Helm ignores assignments to an empty name.
		return
	}
	data[key] = val
}

func setIndex(list []interface{}, i int, val interface{}) ([]interface{}, error) {
	if i < 0 {
		return list, fmt.Errorf("negative %d index not allowed", i)
	}
	if i > maxSetIndex {
		return list, fmt.Errorf("index of %d is greater than maximum supported index of %d", i, maxSetIndex)
	}
	if len(list) <= i {
		grown := make([]interface{}, i+1)
		copy(grown, list)
		list = grown
	}
	list[i] = val
	return list, nil
}

func (p *setParser) index() (int, error) {
	v, _, err := p.readUntil("]")
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(string(v))
}

// listItem reads what follows "name[i]": "=value", "[j]..." or ".key...".
func (p *setParser) listItem(list []interface{}, i, depth int) ([]interface{}, error) {
	if i < 0 {
		return list, fmt.Errorf("negative %d index not allowed", i)
	}
	k, last, err := p.readUntil("[.=")
	switch {
	case len(k) > 0:
		return list, fmt.Errorf("unexpected data at end of array index: %q", string(k))
	case err != nil:
		return list, err
	case last == '=':
		vl, err := p.valueList()
		switch {
		case err == nil:
			return setIndex(list, i, vl)
		case errors.Is(err, errEndOfInput):
			return setIndex(list, i, "")
		case errors.Is(err, errNotList):
			rs, err := p.readValue()
			if err != nil && !errors.Is(err, errEndOfInput) {
				return list, err
			}
			return setIndex(list, i, p.typed(rs))
		default:
			return list, err
		}
	case last == '[':
		next, err := p.index()
		if err != nil {
			return list, fmt.Errorf("error parsing index: %w", err)
		}
		var inner []interface{}
		if len(list) > i && list[i] != nil {
			var ok bool
			if inner, ok = list[i].([]interface{}); !ok {
				return list, fmt.Errorf("unable to parse key: index %d is %s, not a list", i, describe(list[i]))
			}
		}
		inner, err = p.listItem(inner, next, depth)
		if err != nil {
			return list, err
		}
		return setIndex(list, i, inner)
	default: // '.'
		inner := map[string]interface{}{}
		if len(list) > i {
			if m, ok := list[i].(map[string]interface{}); ok {
				inner = m
			}
		}
		if err := p.key(inner, depth); err != nil {
			return list, err
		}
		return setIndex(list, i, inner)
	}
}

// valueList reads "{a,b,c}" if the value starts with "{"; errNotList otherwise.
func (p *setParser) valueList() ([]interface{}, error) {
	if p.pos >= len(p.in) {
		return []interface{}{}, errEndOfInput
	}
	if p.in[p.pos] != '{' {
		return []interface{}{}, errNotList
	}
	p.pos++
	list := []interface{}{}
	for {
		rs, last, err := p.readUntil(",}")
		if err != nil {
			return list, errors.New("list must terminate with '}'")
		}
		list = append(list, p.typed(rs))
		if last == '}' {
			if p.pos < len(p.in) && p.in[p.pos] == ',' {
				p.pos++
			}
			return list, nil
		}
	}
}

// describe names a value's type for error messages.
func describe(v interface{}) string {
	switch t := v.(type) {
	case string:
		return fmt.Sprintf("the string %q", t)
	case []interface{}:
		return "a list"
	case map[string]interface{}:
		return "a map"
	default:
		return fmt.Sprintf("the value %v", t)
	}
}
