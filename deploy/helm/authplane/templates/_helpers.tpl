{{/* The chart's name, at most 63 characters (a DNS label). */}}
{{- define "authplane.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The release's full name: the prefix of every object. */}}
{{- define "authplane.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "authplane.selectorLabels" -}}
app.kubernetes.io/name: {{ include "authplane.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* The server's pods: the Services and the PodDisruptionBudget select these, never the purge job's. */}}
{{- define "authplane.serverSelectorLabels" -}}
{{ include "authplane.selectorLabels" . }}
app.kubernetes.io/component: server
{{- end }}

{{- define "authplane.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "authplane.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "authplane.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "authplane.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "authplane.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/* The environment of the server and of the purge job: settings from the ConfigMap, secrets by reference. */}}
{{- define "authplane.envFrom" -}}
- configMapRef:
    name: {{ include "authplane.fullname" . }}-env
{{- end }}

{{- define "authplane.secretEnv" -}}
{{- range $name, $ref := .Values.secretEnv }}
- name: {{ $name }}
  valueFrom:
    secretKeyRef:
      name: {{ $ref.secretName }}
      key: {{ $ref.key }}
      {{- if $ref.optional }}
      optional: true
      {{- end }}
{{- end }}
{{- end }}

{{/* Volumes shared by the server and the purge job: data, /tmp (the root file system is read-only), the config. */}}
{{- define "authplane.volumes" -}}
- name: data
  {{- if .Values.persistence.existingClaim }}
  persistentVolumeClaim:
    claimName: {{ .Values.persistence.existingClaim }}
  {{- else }}
  emptyDir: {}
  {{- end }}
- name: tmp
  emptyDir: {}
{{- if .Values.config }}
- name: config
  configMap:
    name: {{ include "authplane.fullname" . }}-config
{{- end }}
{{- end }}

{{- define "authplane.volumeMounts" -}}
- name: data
  mountPath: /app/data
- name: tmp
  mountPath: /tmp
{{- if .Values.config }}
- name: config
  mountPath: /app/authplane.config.ts
  subPath: authplane.config.ts
  readOnly: true
{{- end }}
{{- end }}
