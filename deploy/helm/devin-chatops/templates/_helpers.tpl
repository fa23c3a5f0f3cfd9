{{/* The chart's name, and the name of its objects. */}}
{{- define "devin-chatops.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "devin-chatops.fullname" -}}
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

{{- define "devin-chatops.selectorLabels" -}}
app.kubernetes.io/name: {{ include "devin-chatops.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "devin-chatops.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "devin-chatops.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "devin-chatops.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "devin-chatops.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The Secret the tokens come from: the user's, or the chart's. */}}
{{- define "devin-chatops.secretName" -}}
{{- default (include "devin-chatops.fullname" .) .Values.secrets.existingSecret }}
{{- end }}

{{/* The SQLite database file, on the volume mounted at /data. */}}
{{- define "devin-chatops.sqliteURL" -}}
sqlite:/data/devin-chatops.db
{{- end }}

{{/*
validate refuses values that would run the bot wrongly. The chart knows the database
from database.type, never from a Secret it cannot read: several replicas on one SQLite
file would each hold their own lock and state, so replicas > 1 needs type postgres.
*/}}
{{- define "devin-chatops.validate" -}}
{{- $type := .Values.database.type }}
{{- if not (has $type (list "sqlite" "postgres")) }}
{{- fail (printf "database.type must be sqlite or postgres, not %q" $type) }}
{{- end }}
{{- $replicas := int .Values.replicas }}
{{- if lt $replicas 0 }}
{{- fail (printf "replicas must be 0 or more, not %d" $replicas) }}
{{- end }}
{{- if and (gt $replicas 1) (ne $type "postgres") }}
{{- fail (printf "replicas=%d needs database.type=postgres: SQLite is one file on one ReadWriteOnce volume and runs exactly one replica. Set database.type=postgres with database.postgres.url (or DATABASE_URL in secrets.existingSecret), or replicas=1." $replicas) }}
{{- end }}
{{- if eq $type "postgres" }}
{{- $url := .Values.database.postgres.url }}
{{- if and (not $url) (not .Values.secrets.existingSecret) }}
{{- fail "database.type=postgres needs database.postgres.url, or secrets.existingSecret with a DATABASE_URL key" }}
{{- end }}
{{- if and $url (not (or (hasPrefix "postgres://" $url) (hasPrefix "postgresql://" $url))) }}
{{- fail "database.postgres.url must start with postgres:// or postgresql://" }}
{{- end }}
{{- end }}
{{- $known := list "SLACK_API_URL" "DEVIN_API_VERSION" "DEVIN_API_URL" "DEVIN_GIT_CONNECTION_ID" "GITHUB_API_URL" "GITHUB_ENTERPRISE" "APPROVAL_CHANNEL" "AUDIT_CHANNEL" "APPROVERS" "REQUIRED_APPROVALS" "ALLOW_SELF_APPROVAL" "REQUEST_TTL" "REQUESTERS" "USAGE_REPORT_CHANNEL" "USAGE_REPORT_SCHEDULE" "USAGE_ALERT_THRESHOLDS" "GRANT_MAX" "LOG_LEVEL" "LOG_FORMAT" }}
{{- range $name, $_ := .Values.config }}
{{- if has $name (list "SLACK_BOT_TOKEN" "SLACK_APP_TOKEN" "DEVIN_API_KEY" "GITHUB_TOKEN") }}
{{- fail (printf "config.%s is a secret: set it under secrets (or in secrets.existingSecret), not in the ConfigMap" $name) }}
{{- else if has $name (list "DATABASE_URL" "HTTP_ADDR") }}
{{- fail (printf "config.%s is set by the chart: use database.* (DATABASE_URL) or service.port (HTTP_ADDR)" $name) }}
{{- else if not (has $name $known) }}
{{- fail (printf "config.%s is not a setting of the bot; the settings are: %s" $name (join ", " $known)) }}
{{- end }}
{{- end }}
{{- if and (eq $type "sqlite") .Values.database.postgres.url }}
{{- fail "database.postgres.url is set but database.type is sqlite: set database.type=postgres to use it" }}
{{- end }}
{{- end }}
