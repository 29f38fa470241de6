package main

// Checks across the rendered objects: Services, PodDisruptionBudgets, ConfigMaps,
// ServiceMonitors and PrometheusRules, and the pass over all documents.

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/yaml"
)

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
