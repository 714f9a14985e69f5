package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// sections are the option keys that hold other options; they are valid YAML
// keys and typo candidates but not settable from the environment or flags.
var sections = []string{"smtp", "sms", "sms.twilio", "sms.webhook", "database", "argon2"}

// loadFile decodes the YAML file at path over c, strictly: unknown keys,
// wrong types and repeated keys come back as errs (one per problem, naming
// the option and line), and decoding goes on past them so that every problem
// is reported. A file that cannot be read or is not YAML is fatal.
func (c *Config) loadFile(path string) (errs []error, fatal error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: reading %s: %w", path, err)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("config: %s is not valid YAML: %w", path, err)
	}
	idx := fileIndex{file: path, keys: map[int][]located{}, values: map[int][]located{}}
	idx.walk(&root, "")
	for line, ks := range idx.keys {
		for _, k := range ks {
			c.origins[k.path] = fmt.Sprintf("file %s line %d", path, line)
		}
	}

	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	err = dec.Decode(c)
	var typeErr *yaml.TypeError
	switch {
	case errors.Is(err, io.EOF):
		return nil, nil // empty file: nothing set
	case errors.As(err, &typeErr):
		for _, msg := range typeErr.Errors {
			errs = append(errs, idx.translate(msg))
		}
	case err != nil:
		return nil, fmt.Errorf("config: %s: %w", path, err)
	}
	if err := dec.Decode(new(yaml.Node)); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("config: %s holds more than one YAML document; keep every option in the first", path)
	}
	return errs, nil
}

// located is a YAML node and the dotted option key it belongs to.
type located struct {
	path string
	node *yaml.Node
}

// fileIndex finds, by line, the option a yaml.v3 error message is about.
type fileIndex struct {
	file   string
	keys   map[int][]located // mapping keys, by line
	values map[int][]located // values (and sequence items), by line
}

func (x *fileIndex) walk(n *yaml.Node, path string) {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, child := range n.Content {
			x.values[child.Line] = append(x.values[child.Line], located{path, child})
			x.walk(child, path)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			p := k.Value
			if path != "" {
				p = path + "." + k.Value
			}
			x.keys[k.Line] = append(x.keys[k.Line], located{p, k})
			x.values[v.Line] = append(x.values[v.Line], located{p, v})
			x.walk(v, p)
		}
	case yaml.SequenceNode:
		// Items share the option of their list: trusted_proxies.
		for _, item := range n.Content {
			x.values[item.Line] = append(x.values[item.Line], located{path, item})
			x.walk(item, path)
		}
	}
}

// The yaml.v3 TypeError messages this package turns into its own errors.
// They quote up to seven characters of the offending value, which may be a
// secret, so no message is passed through unchanged.
var (
	reNotFound = regexp.MustCompile(`^line (\d+): field (.+) not found in type \S+$`)
	reTwice    = regexp.MustCompile(`^line (\d+): (?:field (.+) already set in type \S+|mapping key "(.+)" already defined at line \d+)$`)
	reWrongTyp = regexp.MustCompile("^line (\\d+): cannot unmarshal !!(\\w+)(?: `(.*)`)? into (\\S+)$")
	reQuoted   = regexp.MustCompile("`[^`]*`")
)

func (x *fileIndex) translate(msg string) error {
	if m := reNotFound.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		name := x.keyPath(line, m[2])
		return &UnknownOptionError{
			Name:       name,
			Source:     "file " + x.file,
			Line:       line,
			Suggestion: suggest(name, append(optionKeys(), sections...)),
		}
	}
	if m := reTwice.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &FieldError{
			Option:  x.keyPath(line, m[2]+m[3]),
			Problem: "is set more than once",
			Origin:  fmt.Sprintf("file %s line %d", x.file, line),
		}
	}
	if m := reWrongTyp.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		v, ok := x.valueAt(line, m[2], m[3])
		if !ok || v.path == "" {
			return fmt.Errorf("config: %s line %d: the file must be a mapping of options (key: value)", x.file, line)
		}
		e := &FieldError{
			Option:  v.path,
			Problem: typeProblem(m[4]),
			Origin:  fmt.Sprintf("file %s line %d", x.file, line),
		}
		if v.node.Kind == yaml.ScalarNode {
			e.Value = showValue(v.path, v.node.Value)
		}
		return e
	}
	return fmt.Errorf("config: %s: %s", x.file, reQuoted.ReplaceAllString(msg, "<value>"))
}

// keyPath returns the dotted key of the mapping key called name on line, or
// name itself when the index has no such key.
func (x *fileIndex) keyPath(line int, name string) string {
	for _, k := range x.keys[line] {
		if k.node.Value == name {
			return k.path
		}
	}
	return name
}

// valueAt finds the value node a type error on line is about: its kind
// matches tag and, for a scalar, its text starts with the (possibly
// shortened) quote. Several values share a line in flow style, and the
// document's top mapping shares its first key's line.
func (x *fileIndex) valueAt(line int, tag, quote string) (located, bool) {
	quote = strings.TrimSuffix(quote, "...")
	vs := x.values[line]
	for i := len(vs) - 1; i >= 0; i-- { // deepest first: the root mapping starts on a key's line
		v := vs[i]
		switch v.node.Kind {
		case yaml.MappingNode:
			if tag == "map" {
				return v, true
			}
		case yaml.SequenceNode:
			if tag == "seq" {
				return v, true
			}
		case yaml.ScalarNode:
			if tag != "map" && tag != "seq" && strings.HasPrefix(v.node.Value, quote) {
				return v, true
			}
		}
	}
	return located{}, false
}

// typeProblem words a yaml.v3 "cannot unmarshal into T" for the Go type T.
func typeProblem(goType string) string {
	switch goType {
	case "string":
		return "must be a single value"
	case "bool":
		return problemBool
	case "int":
		return problemInt
	case "uint8":
		return problemUint(8)
	case "uint32":
		return problemUint(32)
	case "[]string":
		return problemList
	}
	if strings.HasPrefix(goType, "config.") {
		return problemTable
	}
	return "has the wrong type"
}
