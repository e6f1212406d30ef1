#!/usr/bin/env bash
# Every test of the solution: installs what the tests need and a fresh Debian or Ubuntu machine
# lacks (the PostgreSQL server, bubblewrap), then runs dotnet test. Any arguments go to dotnet test,
# e.g. ./test.sh --filter "FullyQualifiedName~IngestTests"
set -euo pipefail
cd "$(dirname "$0")"
prerequisites_for=test
. .ci/prerequisites.sh

# The platform tests run this machine's PostgreSQL server (Postgres:Mode=local), whatever else answers.
ensure_postgres_server
# The sandbox tests run each service under bubblewrap as uid 65532, as the hardened images do.
if ! command -v bwrap >/dev/null 2>&1; then
  install_packages "bubblewrap, for the sandbox tests, which are skipped without it" bubblewrap
fi
if [ "$(id -u)" -ne 0 ]; then
  say "not root: the sandbox tests start services as uid 65532, which needs root, so they will be reported as skipped"
fi

exec dotnet test Analytics.sln "$@"
