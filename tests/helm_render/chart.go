package main

// chart.go loads a chart directory the way Helm 3's directory loader does: Chart.yaml becomes
// the metadata, values.yaml the defaults, templates/** the templates and every other file that
// .helmignore does not exclude becomes .Files.

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// Maintainer mirrors helm.sh/helm/v3/pkg/chart.Maintainer.
type Maintainer struct {
	Name  string `yaml:"name" json:"name,omitempty"`
	Email string `yaml:"email" json:"email,omitempty"`
	URL   string `yaml:"url" json:"url,omitempty"`
}

// Dependency mirrors the parts of helm.sh/helm/v3/pkg/chart.Dependency a template can read.
type Dependency struct {
	Name       string   `yaml:"name" json:"name"`
	Version    string   `yaml:"version" json:"version,omitempty"`
	Repository string   `yaml:"repository" json:"repository"`
	Condition  string   `yaml:"condition" json:"condition,omitempty"`
	Tags       []string `yaml:"tags" json:"tags,omitempty"`
	Enabled    bool     `yaml:"enabled" json:"enabled,omitempty"`
	Alias      string   `yaml:"alias" json:"alias,omitempty"`
}

// Metadata mirrors helm.sh/helm/v3/pkg/chart.Metadata: templates see these capitalised field
// names (.Chart.Name, .Chart.AppVersion) and toYaml/toJson see the json names.
type Metadata struct {
	Name         string            `yaml:"name" json:"name,omitempty"`
	Home         string            `yaml:"home" json:"home,omitempty"`
	Sources      []string          `yaml:"sources" json:"sources,omitempty"`
	Version      string            `yaml:"version" json:"version,omitempty"`
	Description  string            `yaml:"description" json:"description,omitempty"`
	Keywords     []string          `yaml:"keywords" json:"keywords,omitempty"`
	Maintainers  []*Maintainer     `yaml:"maintainers" json:"maintainers,omitempty"`
	Icon         string            `yaml:"icon" json:"icon,omitempty"`
	APIVersion   string            `yaml:"apiVersion" json:"apiVersion,omitempty"`
	Condition    string            `yaml:"condition" json:"condition,omitempty"`
	Tags         string            `yaml:"tags" json:"tags,omitempty"`
	AppVersion   string            `yaml:"appVersion" json:"appVersion,omitempty"`
	Deprecated   bool              `yaml:"deprecated" json:"deprecated,omitempty"`
	Annotations  map[string]string `yaml:"annotations" json:"annotations,omitempty"`
	KubeVersion  string            `yaml:"kubeVersion" json:"kubeVersion,omitempty"`
	Dependencies []*Dependency     `yaml:"dependencies" json:"dependencies,omitempty"`
	Type         string            `yaml:"type" json:"type,omitempty"`
}

// chartInfo is what Helm hands templates as .Chart: the metadata plus IsRoot.
type chartInfo struct {
	Metadata
	IsRoot bool
}

// Chart is a loaded chart directory.
type Chart struct {
	Dir       string
	Metadata  Metadata
	Values    map[string]interface{} // values.yaml, already JSON-shaped like Helm's
	Templates map[string][]byte      // "templates/x.yaml" -> source
	Files     Files                  // every other non-ignored file
	HasSchema bool
	HasDeps   bool // a non-empty charts/ folder (subcharts are not rendered)
}

var semverRe = regexp.MustCompile(`^v?([0-9]+)(\.[0-9]+)?(\.[0-9]+)?` +
	`(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?$`)

// loadChart reads dir. Errors use Helm's wording so tests can compare messages.
func loadChart(dir string) (*Chart, error) {
	fi, err := os.Stat(dir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("path %q not found", dir)
		}
		return nil, err
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("%q is not a chart directory (packaged .tgz charts are not supported)", dir)
	}
	rules, err := loadHelmignore(filepath.Join(dir, ".helmignore"))
	if err != nil {
		return nil, err
	}
	files, err := walkChart(dir, rules)
	if err != nil {
		return nil, err
	}

	c := &Chart{Dir: dir, Templates: map[string][]byte{}, Files: Files{}, Values: map[string]interface{}{}}
	sawChartYaml := false
	for name, data := range files {
		switch {
		case name == "Chart.yaml":
			sawChartYaml = true
			if err := yaml.Unmarshal(data, &c.Metadata); err != nil {
				return nil, fmt.Errorf("cannot load Chart.yaml: error converting YAML to JSON: %v", err)
			}
		case name == "values.yaml":
			v, err := parseValuesYAML(data)
			if err != nil {
				return nil, fmt.Errorf("cannot load values.yaml: %v", err)
			}
			c.Values = v
		case name == "values.schema.json":
			c.HasSchema = true
		case name == "Chart.lock" || name == "requirements.yaml" || name == "requirements.lock":
			// Dependency bookkeeping; Helm keeps it out of .Files.
		case strings.HasPrefix(name, "templates/"):
			c.Templates[name] = data
		case strings.HasPrefix(name, "charts/"):
			c.HasDeps = true
		default:
			c.Files[name] = data
		}
	}
	if !sawChartYaml {
		return nil, errors.New("Chart.yaml file is missing")
	}
	// Helm 2 charts may omit apiVersion; Helm 3's loader assumes v1 rather than failing.
	if c.Metadata.APIVersion == "" {
		c.Metadata.APIVersion = "v1"
	}
	if err := validateMetadata(&c.Metadata); err != nil {
		return nil, err
	}
	return c, nil
}

// validateMetadata applies the checks of Helm's Metadata.Validate that matter for rendering.
func validateMetadata(md *Metadata) error {
	switch {
	case md.APIVersion == "":
		return errors.New("validation: chart.metadata.apiVersion is required")
	case md.Name == "":
		return errors.New("validation: chart.metadata.name is required")
	case md.Name != path.Base(md.Name) || strings.ContainsAny(md.Name, `/\`):
		return fmt.Errorf("validation: chart.metadata.name %q is invalid", md.Name)
	case md.Version == "":
		return errors.New("validation: chart.metadata.version is required")
	case !semverRe.MatchString(md.Version):
		return fmt.Errorf("validation: chart.metadata.version %q is invalid", md.Version)
	case md.Type != "" && md.Type != "application" && md.Type != "library":
		return errors.New("validation: chart.metadata.type must be application or library")
	}
	return nil
}

// walkChart returns every regular file under dir (slash-separated relative names) that the
// ignore rules keep. Ignored directories are not entered, and symbolic links are followed, as
// in Helm's directory loader.
func walkChart(dir string, rules []ignoreRule) (map[string][]byte, error) {
	out := map[string][]byte{}
	var walk func(abs, rel string, depth int) error
	walk = func(abs, rel string, depth int) error {
		if depth > 64 {
			return fmt.Errorf("%s: directories nested more than 64 deep (a symlink loop?)", abs)
		}
		entries, err := os.ReadDir(abs)
		if err != nil {
			return err
		}
		for _, e := range entries {
			p := filepath.Join(abs, e.Name())
			r := path.Join(rel, e.Name())
			info, err := os.Stat(p)
			if err != nil {
				return fmt.Errorf("cannot load %s: %v", r, err)
			}
			if ignored(rules, r, info.IsDir()) {
				continue
			}
			if info.IsDir() {
				if err := walk(p, r, depth+1); err != nil {
					return err
				}
				continue
			}
			if !info.Mode().IsRegular() {
				return fmt.Errorf("cannot load irregular file %s as it has file mode type bits set", p)
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return fmt.Errorf("error reading %s: %v", r, err)
			}
			out[r] = data
		}
		return nil
	}
	return out, walk(dir, "", 0)
}

// ignoreRule is one .helmignore line, with Helm's semantics: a pattern without a slash matches
// the base name anywhere, one with a slash matches the whole relative path, a trailing slash
// matches directories only. A "!pattern" line is Helm's peculiar negation: it ignores every
// path that does NOT match (and lets matching ones go on to the next rule).
type ignoreRule struct {
	pattern string
	negate  bool
	mustDir bool
	anchor  bool // contains a slash: match against the full relative path
}

// loadHelmignore parses .helmignore (if any) and appends Helm's default rule, which hides
// dotfiles inside templates/ (editor swap files and the like).
func loadHelmignore(file string) ([]ignoreRule, error) {
	var rules []ignoreRule
	data, err := os.ReadFile(file)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.Contains(line, "**") {
			return nil, fmt.Errorf(".helmignore line %d: double-star (**) syntax is not supported: %q", i+1, line)
		}
		if _, err := filepath.Match(line, "abc"); err != nil {
			return nil, fmt.Errorf(".helmignore line %d: bad pattern %q: %v", i+1, line, err)
		}
		rules = append(rules, parseIgnoreRule(line))
	}
	return append(rules, parseIgnoreRule("templates/.?*")), nil
}

func parseIgnoreRule(line string) ignoreRule {
	r := ignoreRule{}
	if strings.HasPrefix(line, "!") {
		r.negate = true
		line = line[1:]
	}
	if strings.HasSuffix(line, "/") {
		r.mustDir = true
		line = strings.TrimSuffix(line, "/")
	}
	if strings.HasPrefix(line, "/") {
		line = strings.TrimPrefix(line, "/")
		r.anchor = true
	} else if strings.Contains(line, "/") {
		r.anchor = true
	}
	r.pattern = line
	return r
}

// ignored reports whether rel is excluded, evaluating the rules in order as Helm does.
func ignored(rules []ignoreRule, rel string, isDir bool) bool {
	for _, r := range rules {
		name := rel
		if !r.anchor {
			name = path.Base(rel)
		}
		ok, _ := filepath.Match(r.pattern, name)
		if r.negate {
			if (r.mustDir && !isDir) || !ok {
				return true
			}
			continue
		}
		if r.mustDir && !isDir {
			continue
		}
		if ok {
			return true
		}
	}
	return false
}
