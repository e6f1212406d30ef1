#!/usr/bin/env bash
# The whole platform on this machine (dashboard at http://localhost:15080): installs the PostgreSQL
# server when no container runtime answers and the server is missing, then runs the AppHost. Any
# arguments go to the AppHost, e.g. ./run.sh --Postgres:Mode=local --Notifier:Smtp:Host=mail.example.com
set -euo pipefail
cd "$(dirname "$0")"
prerequisites_for=run
. .ci/prerequisites.sh

# Postgres:Mode=auto (the default) runs a container when a runtime answers, else this machine's
# server; an external server or a forced container needs nothing installed here.
mode="${Postgres__Mode:-auto}"
for argument in "$@"; do
  case "$argument" in --Postgres:Mode=*|Postgres:Mode=*) mode="${argument#*=}" ;; esac
done
if [ "$mode" = local ] || { [ "$mode" = auto ] && ! container_runtime_answers; }; then
  ensure_postgres_server
fi

exec dotnet run --project Analytics.AppHost -- "$@"
