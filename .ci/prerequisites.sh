# Sourced by ./run.sh and ./test.sh: installs what a fresh Debian or Ubuntu machine lacks, as root
# or through sudo, and says what it installs. Without root, sudo or apt-get it says what is missing
# and goes on, so whatever does not need the missing piece still runs.

say() { echo "${prerequisites_for:-setup}: $*" >&2; }

# Runs a command as root: directly when root, otherwise through sudo (which may ask for a password).
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# install_packages WHAT PACKAGE...: installs the Debian packages, WHAT saying what they are for.
install_packages() {
  local what=$1
  shift
  if ! command -v apt-get >/dev/null 2>&1; then
    say "missing: $what; install $* with this system's package manager. Going on without it."
    return 0
  fi
  if [ "$(id -u)" -ne 0 ] && ! command -v sudo >/dev/null 2>&1; then
    say "missing: $what; installing it (apt-get install $*) needs root or sudo. Going on without it."
    return 0
  fi
  say "installing $* ($what)$([ "$(id -u)" -eq 0 ] || echo ', through sudo')"
  # env, not a prefix: sudo resets the environment, and apt must not stop to ask questions.
  if ! { as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null; }; then
    say "could not install $*. Going on without it."
  fi
}

has_postgres_server() { ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1; }

# As the AppHost decides (Postgres:Mode=auto): the configured runtime's "info" answers.
container_runtime_answers() {
  local runtime=${ASPIRE_CONTAINER_RUNTIME:-${DOTNET_ASPIRE_CONTAINER_RUNTIME:-docker}}
  command -v "$runtime" >/dev/null 2>&1 && timeout 10 "$runtime" info --format '{{.ServerVersion}}' >/dev/null 2>&1
}

ensure_postgres_server() {
  has_postgres_server && return 0
  install_packages "the PostgreSQL server, which the AppHost runs as a resource of its own" postgresql
  if has_postgres_server; then
    # The package starts a cluster of its own; the platform runs its own server on a free port.
    as_root service postgresql stop >/dev/null 2>&1 || true
  fi
}

# Redocly CLI, pinned in tools/openapi-lint (package.json and package-lock.json), which the OpenAPI
# document test runs with Node.js. Reinstalled when what is there is not the pinned version.
ensure_openapi_linter() {
  if ! command -v npm >/dev/null 2>&1; then
    install_packages "Node.js and npm, for Redocly CLI, which lints the OpenAPI documents" nodejs npm
  fi
  if ! command -v npm >/dev/null 2>&1; then
    say "missing: npm; the OpenAPI document test will say Redocly CLI is not installed"
    return 0
  fi
  # Redocly CLI 2 runs on Node.js 20.19 or newer; an older one (Debian 12's is 18) cannot run it.
  if ! node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)'; then
    say "Node.js $(node --version) is older than 20.19, which Redocly CLI needs; the OpenAPI document test will fail"
  fi
  if ! npm ls --prefix tools/openapi-lint >/dev/null 2>&1; then
    say "installing Redocly CLI into tools/openapi-lint (npm ci), for the OpenAPI document test"
    npm ci --prefix tools/openapi-lint --no-audit --no-fund >/dev/null || say "could not install Redocly CLI. Going on without it."
  fi
}

# The console's end-to-end tests drive Debian's Chromium with Playwright; Playwright's own browser
# download cannot be fetched on every network, Debian's package can.
ensure_chromium() {
  if ! command -v chromium >/dev/null 2>&1; then
    install_packages "Chromium, for the console's browser tests, which fail without it" chromium
  fi
}
