#!/usr/bin/env bash
# Every test of the solution: installs what the tests need and a fresh Debian or Ubuntu machine
# lacks (the PostgreSQL server, bubblewrap, Chromium, Node.js and the pinned Redocly CLI), then runs the three
# test projects one after another: unit (seconds), platform (the real AppHost), deployment (files,
# sandbox). Any arguments go to each dotnet test, e.g. ./test.sh --filter "FullyQualifiedName~IngestTests"
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
# The console's browser tests drive Debian's Chromium (Playwright).
ensure_chromium
# The OpenAPI document test lints the API's and ingest's documents with Redocly CLI (Node.js).
ensure_openapi_linter
if [ "$(id -u)" -ne 0 ]; then
  say "not root: the sandbox tests start services as uid 65532, which needs root, so they will be reported as skipped"
fi

dotnet build Analytics.sln
# One project at a time: the platform and the deployment tests each start an AppHost with its own
# PostgreSQL server, and on a small machine two at once make each other's start-up time out. The
# unit tests go first, so a plain mistake shows in seconds. Every project runs even after a failure.
status=0
for project in Unit Platform Deployment; do
  say "tests: Analytics.Tests/$project"
  dotnet test "Analytics.Tests/$project" --no-build "$@" || status=$?
done
exit "$status"
