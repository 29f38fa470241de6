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
	"path/filepath"
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
	"k8s.io/apimachinery/pkg/util/validation"
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

func (c *checker) podTemplates() []podTemplate {
	var out []podTemplate
	for _, d := range c.docs {
		switch o := d.object.(type) {
		case *appsv1.StatefulSet:
			var claims []string
			for _, t := range o.Spec.VolumeClaimTemplates {
				claims = append(claims, t.Name)
			}
			out = append(out, podTemplate{d, o.Spec.Template.ObjectMeta, o.Spec.Template.Spec, claims})
		case *appsv1.Deployment:
			out = append(out, podTemplate{d, o.Spec.Template.ObjectMeta, o.Spec.Template.Spec, nil})
		}
	}
	return out
}

// selects reports whether every selector pair is among labels (an empty selector selects nothing here).
func selects(selector, labels map[string]string) bool {
	if len(selector) == 0 {
		return false
	}
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}

func labelSelectorMap(s *metav1.LabelSelector) map[string]string {
	if s == nil {
		return nil
	}
	return s.MatchLabels
}

func (c *checker) checkMeta(d *document) {
	meta := objectMeta(d.object)
	if meta == nil {
		return
	}
	if meta.Name == "" {
		c.errorf(d, "metadata.name is empty")
	} else {
		var problems []string
		switch d.kind {
		case "Service":
			problems = validation.IsDNS1035Label(meta.Name)
		case "StatefulSet":
			problems = validation.IsDNS1123Label(meta.Name)
			// the controller-revision-hash label value is name + "-" + 10 characters
			if len(meta.Name) > 52 {
				problems = append(problems, "longer than 52 characters (the controller-revision-hash label would exceed 63)")
			}
		default:
			problems = validation.IsDNS1123Subdomain(meta.Name)
		}
		for _, p := range problems {
			c.errorf(d, "metadata.name %q: %s", meta.Name, p)
		}
	}
	for k, v := range meta.Labels {
		for _, p := range validation.IsQualifiedName(k) {
			c.errorf(d, "label key %q: %s", k, p)
		}
		for _, p := range validation.IsValidLabelValue(v) {
			c.errorf(d, "label %s value %q: %s", k, v, p)
		}
	}
	for k := range meta.Annotations {
		for _, p := range validation.IsQualifiedName(strings.ToLower(k)) {
			c.errorf(d, "annotation key %q: %s", k, p)
		}
	}
}

var varRef = regexp.MustCompile(`\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)`)

func (c *checker) checkPodTemplate(t podTemplate, selector map[string]string) {
	d := t.owner
	if len(selector) == 0 {
		c.errorf(d, "spec.selector.matchLabels is empty")
	} else if !selects(selector, t.meta.Labels) {
		c.errorf(d, "spec.selector.matchLabels %v is not a subset of the pod template's labels %v", selector, t.meta.Labels)
	}
	for k, v := range t.meta.Labels {
		for _, p := range validation.IsValidLabelValue(v) {
			c.errorf(d, "pod template label %s value %q: %s", k, v, p)
		}
	}
	spec := t.spec
	if len(spec.Containers) == 0 {
		c.errorf(d, "pod template has no containers")
	}
	volumes := map[string]bool{}
	for _, n := range t.claimNames {
		volumes[n] = true
	}
	for _, v := range spec.Volumes {
		if volumes[v.Name] {
			c.errorf(d, "volume %q declared twice", v.Name)
		}
		volumes[v.Name] = true
		switch {
		case v.ConfigMap != nil:
			c.checkConfigMapRef(d, v.ConfigMap.Name, itemKeys(v.ConfigMap.Items), v.ConfigMap.Optional)
		case v.Secret != nil:
			c.checkSecretRef(d, v.Secret.SecretName, itemKeys(v.Secret.Items), v.Secret.Optional)
		case v.Projected != nil:
			for _, s := range v.Projected.Sources {
				if s.ConfigMap != nil {
					c.checkConfigMapRef(d, s.ConfigMap.Name, itemKeys(s.ConfigMap.Items), s.ConfigMap.Optional)
				}
				if s.Secret != nil {
					c.checkSecretRef(d, s.Secret.Name, itemKeys(s.Secret.Items), s.Secret.Optional)
				}
			}
		}
	}
	if sa := spec.ServiceAccountName; sa != "" && sa != "default" && c.find("ServiceAccount", sa) == nil {
		c.errorf(d, "serviceAccountName %q is not rendered", sa)
	}
	names := map[string]bool{}
	all := append(append([]corev1.Container{}, spec.InitContainers...), spec.Containers...)
	for _, ctr := range all {
		if names[ctr.Name] {
			c.errorf(d, "container name %q used twice", ctr.Name)
		}
		names[ctr.Name] = true
		for _, p := range validation.IsDNS1123Label(ctr.Name) {
			c.errorf(d, "container name %q: %s", ctr.Name, p)
		}
		if strings.TrimSpace(ctr.Image) == "" {
			c.errorf(d, "container %q has no image", ctr.Name)
		}
		ports := map[string]int32{}
		for _, p := range ctr.Ports {
			if p.ContainerPort < 1 || p.ContainerPort > 65535 {
				c.errorf(d, "container %q port %d out of range", ctr.Name, p.ContainerPort)
			}
			if p.Name != "" {
				for _, e := range validation.IsValidPortName(p.Name) {
					c.errorf(d, "container %q port name %q: %s", ctr.Name, p.Name, e)
				}
				if _, dup := ports[p.Name]; dup {
					c.errorf(d, "container %q port name %q used twice", ctr.Name, p.Name)
				}
				ports[p.Name] = p.ContainerPort
			}
		}
		for probeName, probe := range map[string]*corev1.Probe{"livenessProbe": ctr.LivenessProbe, "readinessProbe": ctr.ReadinessProbe, "startupProbe": ctr.StartupProbe} {
			if probe == nil {
				continue
			}
			handlers := 0
			if probe.HTTPGet != nil {
				handlers++
				c.checkPortRef(d, ctr.Name, probeName, probe.HTTPGet.Port.StrVal, probe.HTTPGet.Port.IntVal, ports)
				if !strings.HasPrefix(probe.HTTPGet.Path, "/") {
					c.errorf(d, "container %q %s path %q does not start with /", ctr.Name, probeName, probe.HTTPGet.Path)
				}
			}
			if probe.TCPSocket != nil {
				handlers++
				c.checkPortRef(d, ctr.Name, probeName, probe.TCPSocket.Port.StrVal, probe.TCPSocket.Port.IntVal, ports)
			}
			if probe.Exec != nil {
				handlers++
			}
			if probe.GRPC != nil {
				handlers++
			}
			if handlers != 1 {
				c.errorf(d, "container %q %s must have exactly one handler, has %d", ctr.Name, probeName, handlers)
			}
		}
		mounts := map[string]bool{}
		for _, m := range ctr.VolumeMounts {
			if !volumes[m.Name] {
				c.errorf(d, "container %q mounts volume %q, which is not declared", ctr.Name, m.Name)
			}
			if mounts[m.MountPath] {
				c.errorf(d, "container %q mounts two volumes at %s", ctr.Name, m.MountPath)
			}
			mounts[m.MountPath] = true
			if !strings.HasPrefix(m.MountPath, "/") {
				c.errorf(d, "container %q mountPath %q is not absolute", ctr.Name, m.MountPath)
			}
		}
		env := map[string]bool{}
		for _, e := range ctr.Env {
			for _, p := range validation.IsEnvVarName(e.Name) {
				c.errorf(d, "container %q env name %q: %s", ctr.Name, e.Name, p)
			}
			env[e.Name] = true
			if e.ValueFrom != nil {
				if r := e.ValueFrom.ConfigMapKeyRef; r != nil {
					c.checkConfigMapRef(d, r.Name, []string{r.Key}, r.Optional)
				}
				if r := e.ValueFrom.SecretKeyRef; r != nil {
					c.checkSecretRef(d, r.Name, []string{r.Key}, r.Optional)
				}
			}
		}
		for _, e := range ctr.EnvFrom {
			if e.ConfigMapRef != nil {
				c.checkConfigMapRef(d, e.ConfigMapRef.Name, nil, e.ConfigMapRef.Optional)
			}
			if e.SecretRef != nil {
				c.checkSecretRef(d, e.SecretRef.Name, nil, e.SecretRef.Optional)
			}
		}
		for _, arg := range append(append([]string{}, ctr.Command...), ctr.Args...) {
			for _, m := range varRef.FindAllStringSubmatch(arg, -1) {
				if !env[m[1]] {
					c.errorf(d, "container %q argument %q refers to $(%s), which is not in its env (Kubernetes would pass it literally)", ctr.Name, arg, m[1])
				}
			}
		}
		c.checkResources(d, ctr)
	}
}

func (c *checker) checkPortRef(d *document, ctr, probe, name string, number int32, ports map[string]int32) {
	if name != "" {
		if _, ok := ports[name]; !ok {
			c.errorf(d, "container %q %s uses port %q, which the container does not declare", ctr, probe, name)
		}
	} else if number < 1 || number > 65535 {
		c.errorf(d, "container %q %s port %d out of range", ctr, probe, number)
	}
}

func (c *checker) checkResources(d *document, ctr corev1.Container) {
	for name, request := range ctr.Resources.Requests {
		limit, ok := ctr.Resources.Limits[name]
		if ok && request.Cmp(limit) > 0 {
			c.errorf(d, "container %q requests %s %s, above its limit %s", ctr.Name, request.String(), name, limit.String())
		}
	}
	for name, q := range ctr.Resources.Limits {
		if q.Sign() <= 0 {
			c.errorf(d, "container %q limit of %s is %s", ctr.Name, name, q.String())
		}
	}
}

func itemKeys(items []corev1.KeyToPath) []string {
	keys := make([]string, 0, len(items))
	for _, i := range items {
		keys = append(keys, i.Key)
	}
	return keys
}

func (c *checker) checkConfigMapRef(d *document, name string, keys []string, optional *bool) {
	if optional != nil && *optional {
		return
	}
	ref := c.find("ConfigMap", name)
	if ref == nil {
		c.errorf(d, "refers to ConfigMap %q, which is not rendered", name)
		return
	}
	cm := ref.object.(*corev1.ConfigMap)
	for _, k := range keys {
		_, inData := cm.Data[k]
		_, inBinary := cm.BinaryData[k]
		if !inData && !inBinary {
			c.errorf(d, "refers to key %q of ConfigMap %q, which has no such key", k, name)
		}
	}
}

func (c *checker) checkSecretRef(d *document, name string, keys []string, optional *bool) {
	if optional != nil && *optional {
		return
	}
	if c.externalSecrets[name] {
		return
	}
	ref := c.find("Secret", name)
	if ref == nil {
		c.errorf(d, "refers to Secret %q, which is not rendered (pass -external-secret %s if it is created outside the chart)", name, name)
		return
	}
	s := ref.object.(*corev1.Secret)
	for _, k := range keys {
		_, inData := s.Data[k]
		_, inString := s.StringData[k]
		if !inData && !inString {
			c.errorf(d, "refers to key %q of Secret %q, which has no such key", k, name)
		}
	}
}

func (c *checker) checkService(d *document, s *corev1.Service, templates []podTemplate) {
	if len(s.Spec.Ports) == 0 {
		c.errorf(d, "service has no ports")
	}
	names := map[string]bool{}
	numbers := map[string]bool{}
	for _, p := range s.Spec.Ports {
		if len(s.Spec.Ports) > 1 && p.Name == "" {
			c.errorf(d, "port %d has no name (required when a Service has several ports)", p.Port)
		}
		if p.Name != "" {
			for _, e := range validation.IsValidPortName(p.Name) {
				c.errorf(d, "port name %q: %s", p.Name, e)
			}
		}
		if names[p.Name] {
			c.errorf(d, "port name %q used twice", p.Name)
		}
		names[p.Name] = true
		key := fmt.Sprintf("%d/%s", p.Port, p.Protocol)
		if numbers[key] {
			c.errorf(d, "port %s used twice", key)
		}
		numbers[key] = true
	}
	if len(s.Spec.Selector) == 0 {
		return // a Service without selector (endpoints managed elsewhere)
	}
	var matched []podTemplate
	for _, t := range templates {
		if selects(s.Spec.Selector, t.meta.Labels) {
			matched = append(matched, t)
		}
	}
	if len(matched) == 0 {
		c.errorf(d, "selector %v matches no rendered pod template", s.Spec.Selector)
		return
	}
	for _, p := range s.Spec.Ports {
		if p.TargetPort.StrVal == "" {
			continue
		}
		for _, t := range matched {
			found := false
			for _, ctr := range t.spec.Containers {
				for _, cp := range ctr.Ports {
					if cp.Name == p.TargetPort.StrVal {
						found = true
					}
				}
			}
			if !found {
				c.errorf(d, "targetPort %q is not a container port of %s", p.TargetPort.StrVal, t.owner)
			}
		}
	}
}

// check runs the cross-document checks and writes rule files into rulesOut.
func (c *checker) check(rulesOut string) {
	templates := c.podTemplates()
	for _, d := range c.docs {
		if d.object == nil {
			continue
		}
		c.checkMeta(d)
		switch o := d.object.(type) {
		case *appsv1.StatefulSet:
			for _, t := range templates {
				if t.owner == d {
					c.checkPodTemplate(t, labelSelectorMap(o.Spec.Selector))
				}
			}
			if o.Spec.ServiceName != "" {
				svc := c.find("Service", o.Spec.ServiceName)
				if svc == nil {
					c.errorf(d, "serviceName %q is not a rendered Service", o.Spec.ServiceName)
				} else if svc.object.(*corev1.Service).Spec.ClusterIP != corev1.ClusterIPNone {
					c.errorf(d, "serviceName %q is not a headless Service (clusterIP: None)", o.Spec.ServiceName)
				}
			}
			for _, t := range o.Spec.VolumeClaimTemplates {
				if _, ok := t.Spec.Resources.Requests[corev1.ResourceStorage]; !ok {
					c.errorf(d, "volumeClaimTemplate %q requests no storage", t.Name)
				}
				if len(t.Spec.AccessModes) == 0 {
					c.errorf(d, "volumeClaimTemplate %q has no accessModes", t.Name)
				}
			}
		case *appsv1.Deployment:
			for _, t := range templates {
				if t.owner == d {
					c.checkPodTemplate(t, labelSelectorMap(o.Spec.Selector))
				}
			}
		case *corev1.Service:
			c.checkService(d, o, templates)
		case *policyv1.PodDisruptionBudget:
			if (o.Spec.MinAvailable == nil) == (o.Spec.MaxUnavailable == nil) {
				c.errorf(d, "exactly one of minAvailable and maxUnavailable must be set")
			}
			sel := labelSelectorMap(o.Spec.Selector)
			found := false
			for _, t := range templates {
				found = found || selects(sel, t.meta.Labels)
			}
			if !found {
				c.errorf(d, "selector %v matches no rendered pod template", sel)
			}
		case *corev1.ConfigMap:
			size := 0
			for k, v := range o.Data {
				size += len(k) + len(v)
				for _, p := range validation.IsConfigMapKey(k) {
					c.errorf(d, "data key %q: %s", k, p)
				}
			}
			for k, v := range o.BinaryData {
				size += len(k) + len(v)
			}
			if size > configMapMaxBytes {
				c.errorf(d, "data is %d bytes, above the API server's limit of %d", size, configMapMaxBytes)
			}
		case *monitoringv1.ServiceMonitor:
			c.checkServiceMonitor(d, o)
		case *monitoringv1.PrometheusRule:
			c.checkPrometheusRule(d, o, rulesOut)
		}
	}
}

func (c *checker) checkServiceMonitor(d *document, sm *monitoringv1.ServiceMonitor) {
	if len(sm.Spec.Endpoints) == 0 {
		c.errorf(d, "spec.endpoints is empty")
	}
	var matched []*corev1.Service
	for _, other := range c.docs {
		if s, ok := other.object.(*corev1.Service); ok && selects(sm.Spec.Selector.MatchLabels, s.Labels) {
			matched = append(matched, s)
		}
	}
	if len(matched) == 0 {
		c.errorf(d, "selector %v matches no rendered Service", sm.Spec.Selector.MatchLabels)
		return
	}
	for _, e := range sm.Spec.Endpoints {
		if e.Port == "" {
			continue
		}
		for _, s := range matched {
			found := false
			for _, p := range s.Spec.Ports {
				found = found || p.Name == e.Port
			}
			if !found {
				c.errorf(d, "endpoint port %q is not a port of Service %q", e.Port, s.Name)
			}
		}
		if e.Path != "" && !strings.HasPrefix(e.Path, "/") {
			c.errorf(d, "endpoint path %q does not start with /", e.Path)
		}
	}
}

func (c *checker) checkPrometheusRule(d *document, pr *monitoringv1.PrometheusRule, rulesOut string) {
	if len(pr.Spec.Groups) == 0 {
		c.errorf(d, "spec.groups is empty")
	}
	for _, g := range pr.Spec.Groups {
		if g.Name == "" {
			c.errorf(d, "a rule group has no name")
		}
		for i, r := range g.Rules {
			if (r.Alert == "") == (r.Record == "") {
				c.errorf(d, "group %q rule %d must have exactly one of alert and record", g.Name, i)
			}
			if r.Expr.String() == "" {
				c.errorf(d, "group %q rule %d has no expr", g.Name, i)
			}
		}
	}
	if rulesOut == "" {
		return
	}
	out, err := yaml.Marshal(map[string]any{"groups": pr.Spec.Groups})
	if err != nil {
		c.errorf(d, "cannot write its rule groups: %v", err)
		return
	}
	file := filepath.Join(rulesOut, d.name+".rules.yaml")
	if err := os.WriteFile(file, out, 0o644); err != nil {
		c.errorf(d, "cannot write %s: %v", file, err)
	}
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
