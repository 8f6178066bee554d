// Command opspilot-helm-render renders a Helm chart directory the way `helm template` (Helm 3)
// does, for tests on machines where Helm cannot be installed. It uses Go's text/template with
// the sprig functions and reproduces Helm's values handling, built-in objects, function map,
// output format and error messages. Where it knowingly differs from Helm, the comment at that
// spot says so: document order and comment-only documents (output.go), the API version list
// (objects.go), YAML syntax error texts (yaml.v3's, not yaml.v2's), no subcharts, no schema
// validation, no crds/ directory.
//
//	opspilot-helm-render CHART_DIR [--values|-f FILE]... [--set k=v]... [--set-string k=v]...
//	    [--name-template|--release NAME] [--namespace|-n NS] [--show-only templates/x.yaml]...
//	    [--kube-version 1.32.4] [--api-versions group/version]... [--is-upgrade] [--debug]
//
// Exit status: 0 rendered, 1 chart/values/template error ("Error: ..." on stderr, Helm's
// wording), 2 bad command line.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig"
)

const usage = `Usage: opspilot-helm-render [NAME] CHART_DIR [flags]

Flags:
  -f, --values FILE          values file (repeatable, or comma-separated)
      --set key=value        set values (repeatable; a.b=1, list={x,y}, a[0].b=c, a\.b=1)
      --set-string key=value set values, always as strings
      --name-template NAME   release name (a template; default "release-name"), alias --release
  -n, --namespace NS         release namespace (default "default")
  -s, --show-only PATH       only print templates matching PATH, e.g. templates/x.yaml
      --kube-version VER     Kubernetes version for .Capabilities (default 1.32.4)
  -a, --api-versions GV      extra .Capabilities.APIVersions entries (repeatable)
      --is-upgrade           set .Release.IsUpgrade instead of .Release.IsInstall
      --debug                on invalid rendered YAML, also print the raw rendered templates
`

type options struct {
	chartDir     string
	releaseName  string
	namespace    string
	valueFiles   []string
	sets         []string
	setStrings   []string
	showOnly     []string
	kubeVersion  string
	apiVersions  []string
	isUpgrade    bool
	debug        bool
	releaseGiven bool
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	opts, err := parseArgs(args)
	if err != nil {
		if errors.Is(err, errHelp) {
			fmt.Fprint(stdout, usage)
			return 0
		}
		fmt.Fprintf(stderr, "Error: %v\n\n%s", err, usage)
		return 2
	}
	out, err := render(opts, stderr)
	if err != nil {
		if out != "" {
			fmt.Fprint(stdout, out)
		}
		fmt.Fprintf(stderr, "Error: %v\n", err)
		return 1
	}
	fmt.Fprint(stdout, out)
	return 0
}

var errHelp = errors.New("help requested")

// parseArgs accepts "--flag value", "--flag=value" and the short forms, before or after the
// positional arguments ([NAME] CHART_DIR, as `helm template` takes them). Every error it
// returns is a command-line mistake (exit 2).
func parseArgs(args []string) (*options, error) {
	o := &options{releaseName: "release-name", namespace: "default", kubeVersion: "1.32.4"}
	var positional []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			positional = append(positional, args[i+1:]...)
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			positional = append(positional, a)
			continue
		}
		name, value, hasValue := strings.Cut(a, "=")
		takeValue := func() (string, error) {
			if hasValue {
				return value, nil
			}
			if i+1 >= len(args) {
				return "", fmt.Errorf("flag %s needs an argument", name)
			}
			i++
			return args[i], nil
		}
		var v string
		var err error
		switch name {
		case "-h", "--help":
			return nil, errHelp
		case "--is-upgrade", "--debug":
			if hasValue {
				return nil, fmt.Errorf("flag %s takes no argument, got %q", name, value)
			}
			if name == "--debug" {
				o.debug = true
			} else {
				o.isUpgrade = true
			}
			continue
		case "-f", "--values", "--set", "--set-string", "--name-template", "--release", "-n", "--namespace",
			"-s", "--show-only", "--kube-version", "-a", "--api-versions":
			if v, err = takeValue(); err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("unknown flag: %s", name)
		}
		switch name {
		case "-f", "--values":
			o.valueFiles = append(o.valueFiles, splitList(v)...)
		case "--set":
			o.sets = append(o.sets, v)
		case "--set-string":
			o.setStrings = append(o.setStrings, v)
		case "--name-template", "--release":
			o.releaseName, o.releaseGiven = v, true
		case "-n", "--namespace":
			o.namespace = v
		case "-s", "--show-only":
			o.showOnly = append(o.showOnly, v)
		case "--kube-version":
			o.kubeVersion = v
		case "-a", "--api-versions":
			o.apiVersions = append(o.apiVersions, splitList(v)...)
		}
	}
	switch len(positional) {
	case 1:
		o.chartDir = positional[0]
	case 2:
		if o.releaseGiven {
			return nil, errors.New("cannot use --name-template/--release and a NAME argument together")
		}
		o.releaseName, o.releaseGiven, o.chartDir = positional[0], true, positional[1]
	case 0:
		return nil, errors.New("a chart directory is required")
	default:
		return nil, fmt.Errorf("expected [NAME] CHART_DIR, got %d arguments: %q", len(positional), positional)
	}
	return o, nil
}

// splitList splits a comma-separated flag value (Helm's StringSlice flags: -f, --api-versions).
func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

var releaseNameRe = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)

// render does everything after argument parsing and returns stdout's text. On an invalid
// rendered document with --debug it also returns the raw templates alongside the error.
func render(o *options, stderr io.Writer) (string, error) {
	warnf := func(format string, a ...interface{}) {
		fmt.Fprintf(stderr, "warning: "+format+"\n", a...)
	}
	name, err := releaseName(o.releaseName)
	if err != nil {
		return "", err
	}
	kube, err := parseKubeVersion(o.kubeVersion)
	if err != nil {
		return "", err
	}
	c, err := loadChart(o.chartDir)
	if err != nil {
		return "", err
	}
	if strings.EqualFold(c.Metadata.Type, "library") {
		return "", errors.New("library charts are not installable")
	}
	if c.HasSchema {
		warnf("%s/values.schema.json is present but not validated by opspilot-helm-render", o.chartDir)
	}
	if c.HasDeps {
		warnf("%s/charts/ is not empty; subcharts are not rendered by opspilot-helm-render", o.chartDir)
	}
	if c.Metadata.KubeVersion != "" {
		ok, err := kubeVersionCompatible(c.Metadata.KubeVersion, kube.Version)
		if err != nil {
			return "", fmt.Errorf("chart kubeVersion %q is not a valid constraint: %v", c.Metadata.KubeVersion, err)
		}
		if !ok {
			return "", fmt.Errorf("chart requires kubeVersion: %s which is incompatible with Kubernetes %s", c.Metadata.KubeVersion, kube.Version)
		}
	}
	user, err := userValues(o.valueFiles, o.sets, o.setStrings)
	if err != nil {
		return "", err
	}
	top := map[string]interface{}{
		"Chart":        chartInfo{Metadata: c.Metadata, IsRoot: true},
		"Capabilities": newCapabilities(kube, o.apiVersions),
		"Release": map[string]interface{}{
			"Name":      name,
			"Namespace": o.namespace,
			"IsUpgrade": o.isUpgrade,
			"IsInstall": !o.isUpgrade,
			"Revision":  1,
			"Service":   "Helm",
		},
		"Values":    Values(coalesceValues(c.Metadata.Name, c.Values, user, warnf)),
		"Files":     c.Files,
		"Subcharts": map[string]interface{}{},
	}
	rendered, err := renderTemplates(c, top)
	if err != nil {
		return "", err
	}
	manifests, hooks, err := sortManifests(rendered, warnf)
	if err != nil {
		if o.debug {
			return debugDump(rendered), err
		}
		return "", fmt.Errorf("%w\n\nUse --debug flag to render out invalid YAML", err)
	}
	if len(o.showOnly) > 0 {
		selected, err := showOnly(append(manifests, hooks...), o.showOnly)
		if err != nil {
			return "", err
		}
		return formatManifests(selected, nil), nil
	}
	return formatManifests(manifests, hooks), nil
}

// releaseName renders --name-template (Helm treats it as a template) and validates the result.
func releaseName(tmpl string) (string, error) {
	t, err := template.New("name-template").Funcs(sprig.TxtFuncMap()).Parse(tmpl)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	if err := t.Execute(&b, nil); err != nil {
		return "", err
	}
	name := b.String()
	if len(name) > 53 || !releaseNameRe.MatchString(name) {
		return "", fmt.Errorf("invalid release name %q, must match regex %s and the length must not be longer than 53", name, releaseNameRe.String())
	}
	return name, nil
}

// kubeVersionCompatible checks a Chart.yaml kubeVersion constraint with sprig's semverCompare
// (Masterminds/semver, the library Helm uses). Helm compares against the version without
// pre-release so ">=1.20.0" admits "1.32.4-gke.1".
func kubeVersionCompatible(constraint, version string) (bool, error) {
	cmp := sprig.TxtFuncMap()["semverCompare"].(func(string, string) (bool, error))
	if i := strings.IndexAny(version, "-+"); i >= 0 {
		version = version[:i]
	}
	return cmp(constraint, version)
}
