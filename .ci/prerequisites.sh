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
