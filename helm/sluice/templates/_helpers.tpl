{{/* Name of the chart, overridable. */}}
{{- define "sluice.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 52 | trimSuffix "-" }}
{{- end }}

{{/*
Full name of the release's objects. At most 52 characters: the StatefulSet's
controller-revision-hash label adds 11 to it and labels stop at 63.
*/}}
{{- define "sluice.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 52 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "sluice.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels of every object. */}}
{{- define "sluice.labels" -}}
helm.sh/chart: {{ include "sluice.chart" . }}
{{ include "sluice.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: sluice
{{- end }}

{{/* Labels that select the pods. */}}
{{- define "sluice.selectorLabels" -}}
app.kubernetes.io/name: {{ include "sluice.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "sluice.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "sluice.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "sluice.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* Name of the Secret holding the REST token, empty when there is none. */}}
{{- define "sluice.tokenSecretName" -}}
{{- if .Values.rest.token.existingSecret }}
{{- .Values.rest.token.existingSecret }}
{{- else if .Values.rest.token.create }}
{{- printf "%s-rest-token" (include "sluice.fullname" .) }}
{{- end }}
{{- end }}

{{/* Where the token Secret is mounted; rest.token-file points into it. */}}
{{- define "sluice.tokenDir" -}}/etc/sluice/rest-token{{- end }}

{{/* Process memory: managed + network + heap, in MiB. */}}
{{- define "sluice.processMiB" -}}
{{- add .Values.memory.managedMiB .Values.memory.networkMiB .Values.memory.heapMiB }}
{{- end }}

{{/* CPU request: the value, or one core per task slot. */}}
{{- define "sluice.cpuRequest" -}}
{{- default (toString .Values.taskSlots) (toString .Values.resources.cpu.request) }}
{{- end }}

{{/*
The Sluice configuration (sluice.yaml): keys derived from the values, then the user's
`config`. A user key that the chart derives fails the rendering, so that the pod's
limit and the process's memory budget cannot drift apart.
*/}}
{{- define "sluice.config" -}}
{{- $v := .Values }}
{{- $derived := dict
  "rest.address" "0.0.0.0"
  "rest.port" (int $v.rest.port)
  "rest.auth.read" $v.rest.authRead
  "taskmanager.numberOfTaskSlots" (int $v.taskSlots)
  "taskmanager.memory.process.size" (printf "%dmb" (int (include "sluice.processMiB" .)))
  "taskmanager.memory.managed.size" (printf "%dmb" (int $v.memory.managedMiB))
  "taskmanager.memory.network.min" (printf "%dmb" (int $v.memory.networkMiB))
  "taskmanager.memory.network.max" (printf "%dmb" (int $v.memory.networkMiB))
  "taskmanager.memory.segment-size" $v.memory.segmentSize
  "state.checkpoints.dir" $v.checkpoints.mountPath
  "shutdown.grace-period" (printf "%ds" (int $v.shutdown.gracePeriodSeconds))
  "log.level" $v.logging.level
  "log.format" $v.logging.format
}}
{{- if include "sluice.tokenSecretName" . }}
{{- $_ := set $derived "rest.token-file" (printf "%s/%s" (include "sluice.tokenDir" .) $v.rest.token.secretKey) }}
{{- end }}
{{- range $key, $value := $v.config }}
{{- if or (hasKey $derived $key) (hasPrefix "taskmanager.memory." $key) (eq $key "rest.token-file") }}
{{- fail (printf "config.%s is set by the chart; use the chart's values instead (memory.*, taskSlots, rest.*, checkpoints.mountPath, shutdown.*, logging.*)" $key) }}
{{- end }}
{{- end }}
{{- toYaml (merge (deepCopy $v.config) $derived) }}
{{- end }}

{{/* Checks of value combinations the schema cannot express. */}}
{{- define "sluice.validate" -}}
{{- if and .Values.rest.authRead (not (include "sluice.tokenSecretName" .)) }}
{{- fail "rest.authRead needs a REST token: set rest.token.existingSecret or rest.token.create" }}
{{- end }}
{{- if and .Values.rest.token.create .Values.rest.token.value (lt (len .Values.rest.token.value) 16) }}
{{- fail "rest.token.value must have at least 16 characters (e.g. openssl rand -hex 32)" }}
{{- end }}
{{- end }}
