package main

// Checks of workloads (StatefulSet, Deployment) and their pod templates: names,
// labels, selectors, containers, ports, probes, volumes, env and the ConfigMaps and
// Secrets they refer to.

import (
	"regexp"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
)

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
