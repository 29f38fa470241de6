// Command manifest-check validates rendered Kubernetes manifests offline.
//
// It is Sluice's stand-in for validating against a cluster's API schemas, with
// nothing fetched at run time: every document of the input (the output of
// `helm template`) is decoded strictly into the Go type the API server itself
// uses for its kind — k8s.io/api for the core kinds, the Prometheus Operator's
// monitoring.coreos.com/v1 types for ServiceMonitor and PrometheusRule. Strict
// means an unknown or misspelt field, a value of the wrong type, a duplicate key
// or a malformed quantity is an error, as it would be for `kubectl apply
// --validate=strict`. A kind the tool does not know is an error too, so that the
// chart cannot emit something unvalidated.
//
// On top of the schema it checks what the API server would reject or what would
// silently not work, across the documents of one rendering:
//
//	names and labels        DNS-1123 names, label keys and values, port names
//	workloads               selector ⊆ pod template labels; unique container and port
//	                        names; probes on declared ports; volume mounts of declared
//	                        volumes; $(VAR) in args refers to a declared env var;
//	                        ConfigMap/Secret references (and their keys) rendered too
//	StatefulSet             serviceName is a rendered headless Service
//	Service                 selects a rendered pod template; named target ports exist
//	PodDisruptionBudget     selects a rendered pod template; one of min/max set
//	ServiceMonitor          selects a rendered Service; endpoint ports exist on it
//	PrometheusRule          every rule has alert or record and an expr; with
//	                        -rules-out the groups are written for `promtool check rules`
//	ConfigMap               data under the API server's 1 MiB limit, valid keys
//
// Usage:
//
//	manifest-check [-rules-out DIR] [-external-secret NAME]... FILE|-...
//
// Exit status 0 when every document passes, 1 when any fails, 2 on usage errors.
// The last line printed is a summary: "manifest-check: N documents, N errors".
package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strings"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// newObject maps "apiVersion/Kind" to the Go type the document decodes into.
var newObject = map[string]func() any{
	"v1/ConfigMap":                             func() any { return &corev1.ConfigMap{} },
	"v1/Secret":                                func() any { return &corev1.Secret{} },
	"v1/Service":                               func() any { return &corev1.Service{} },
	"v1/ServiceAccount":                        func() any { return &corev1.ServiceAccount{} },
	"v1/PersistentVolumeClaim":                 func() any { return &corev1.PersistentVolumeClaim{} },
	"apps/v1/StatefulSet":                      func() any { return &appsv1.StatefulSet{} },
	"apps/v1/Deployment":                       func() any { return &appsv1.Deployment{} },
	"policy/v1/PodDisruptionBudget":            func() any { return &policyv1.PodDisruptionBudget{} },
	"networking.k8s.io/v1/NetworkPolicy":       func() any { return &networkingv1.NetworkPolicy{} },
	"rbac.authorization.k8s.io/v1/Role":        func() any { return &rbacv1.Role{} },
	"rbac.authorization.k8s.io/v1/RoleBinding": func() any { return &rbacv1.RoleBinding{} },
	"monitoring.coreos.com/v1/ServiceMonitor":  func() any { return &monitoringv1.ServiceMonitor{} },
	"monitoring.coreos.com/v1/PrometheusRule":  func() any { return &monitoringv1.PrometheusRule{} },
}

// configMapMaxBytes is the API server's limit on a ConfigMap's data.
const configMapMaxBytes = 1 << 20

// document is one decoded manifest.
type document struct {
	index  int
	source string // the "# Source:" comment helm template writes, if any
	kind   string
	name   string
	object any
}

func (d *document) String() string {
	s := fmt.Sprintf("document %d (%s/%s", d.index, d.kind, d.name)
	if d.source != "" {
		s += ", " + d.source
	}
	return s + ")"
}

// podTemplate is a workload's pod template, with its workload.
type podTemplate struct {
	owner *document
	meta  metav1.ObjectMeta
	spec  corev1.PodSpec
	// claimNames are volumeClaimTemplates (StatefulSet), usable as volume names.
	claimNames []string
}

type checker struct {
	docs            []*document
	errs            []string
	externalSecrets map[string]bool
}

func (c *checker) errorf(d *document, format string, args ...any) {
	prefix := "input"
	if d != nil {
		prefix = d.String()
	}
	c.errs = append(c.errs, prefix+": "+fmt.Sprintf(format, args...))
}

var sourceComment = regexp.MustCompile(`(?m)^# Source: (.+)$`)

// load decodes every document of r strictly.
func (c *checker) load(r io.Reader, name string) {
	reader := utilyaml.NewYAMLReader(bufio.NewReader(r))
	for {
		raw, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			c.errs = append(c.errs, fmt.Sprintf("%s: cannot split YAML documents: %v", name, err))
			return
		}
		c.decode(raw)
	}
}

func (c *checker) decode(raw []byte) {
	var head struct {
		APIVersion string         `json:"apiVersion"`
		Kind       string         `json:"kind"`
		Metadata   map[string]any `json:"metadata"`
	}
	d := &document{index: len(c.docs) + 1}
	if m := sourceComment.FindSubmatch(raw); m != nil {
		d.source = string(m[1])
	}
	if err := yaml.Unmarshal(raw, &head); err != nil {
		c.docs = append(c.docs, d)
		c.errorf(d, "not YAML: %v", err)
		return
	}
	if head.APIVersion == "" && head.Kind == "" && head.Metadata == nil {
		if len(bytes.TrimSpace(stripComments(raw))) > 0 {
			c.docs = append(c.docs, d)
			c.errorf(d, "document has no apiVersion and kind")
		}
		return // an empty document (only comments), as helm writes for disabled templates
	}
	d.kind = head.Kind
	if n, ok := head.Metadata["name"].(string); ok {
		d.name = n
	}
	c.docs = append(c.docs, d)
	factory, ok := newObject[head.APIVersion+"/"+head.Kind]
	if !ok {
		c.errorf(d, "apiVersion %q kind %q is not one this checker knows; add its Go type to newObject in tools/manifest-check/main.go", head.APIVersion, head.Kind)
		return
	}
	obj := factory()
	if err := yaml.UnmarshalStrict(raw, obj); err != nil {
		c.errorf(d, "does not match the %s schema: %v", head.Kind, err)
		return
	}
	d.object = obj
}

func stripComments(raw []byte) []byte {
	var out bytes.Buffer
	for _, line := range strings.Split(string(raw), "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		out.WriteString(line)
		out.WriteByte('\n')
	}
	return out.Bytes()
}

// objectMeta returns the metadata of a decoded object.
func objectMeta(obj any) *metav1.ObjectMeta {
	if o, ok := obj.(metav1.ObjectMetaAccessor); ok {
		return o.GetObjectMeta().(*metav1.ObjectMeta)
	}
	return nil
}

func (c *checker) find(kind, name string) *document {
	for _, d := range c.docs {
		if d.object != nil && d.kind == kind && d.name == name {
			return d
		}
	}
	return nil
}

type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

func main() {
	rulesOut := flag.String("rules-out", "", "directory to write each PrometheusRule's groups into, for promtool check rules")
	var external stringList
	flag.Var(&external, "external-secret", "name of a Secret created outside the rendering (repeatable)")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: manifest-check [-rules-out DIR] [-external-secret NAME]... FILE|-...")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}
	c := &checker{externalSecrets: map[string]bool{}}
	for _, n := range external {
		c.externalSecrets[n] = true
	}
	for _, name := range flag.Args() {
		if name == "-" {
			c.load(os.Stdin, "stdin")
			continue
		}
		f, err := os.Open(name)
		if err != nil {
			fmt.Fprintf(os.Stderr, "manifest-check: %v\n", err)
			os.Exit(2)
		}
		c.load(f, name)
		f.Close()
	}
	c.check(*rulesOut)
	kinds := map[string]int{}
	for _, d := range c.docs {
		kinds[d.kind]++
	}
	var summary []string
	for k, n := range kinds {
		summary = append(summary, fmt.Sprintf("%s=%d", k, n))
	}
	sort.Strings(summary)
	for _, e := range c.errs {
		fmt.Println("error: " + e)
	}
	fmt.Printf("kinds: %s\n", strings.Join(summary, " "))
	fmt.Printf("manifest-check: %d documents, %d errors\n", len(c.docs), len(c.errs))
	if len(c.errs) > 0 {
		os.Exit(1)
	}
}
