#!/usr/bin/env bash
# Runs this machine's PostgreSQL server for the AppHost's `local` mode (no container runtime).
#
#   postgres-local.sh BIN_DIR DATA_DIR PORT       (password in $POSTGRES_PASSWORD)
#
# The data folder persists between runs and is initialized on first use. The superuser's
# password is set from $POSTGRES_PASSWORD on every start, so the AppHost's parameter is
# always the truth even when the folder outlives the secret. The server listens on loopback
# TCP only and always asks for that password.
set -euo pipefail

bin_dir=$1
data_dir=$2
port=$3
: "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD must carry the superuser password}"

as_owner=()
if [ "$(id -u)" -eq 0 ]; then
  # PostgreSQL refuses to run as root. setpriv switches user and then execs, so no extra
  # process sits between the signal we forward and the server.
  id postgres >/dev/null 2>&1 || { echo "running as root needs the 'postgres' OS user (Debian package postgresql)" >&2; exit 1; }
  as_owner=(setpriv --reuid=postgres --regid=postgres --init-groups --)
  mkdir -p "$data_dir"
  chown postgres:postgres "$data_dir"
  "${as_owner[@]}" test -w "$data_dir" || {
    echo "the postgres OS user cannot reach $data_dir: every folder above it must be enterable by others (chmod o+x), or set Postgres:DataDirectory elsewhere" >&2
    exit 1
  }
else
  mkdir -p "$data_dir"
fi
chmod 700 "$data_dir"

if [ ! -s "$data_dir/PG_VERSION" ]; then
  echo "initializing a new PostgreSQL data folder at $data_dir"
  # trust only for the bootstrap; pg_hba.conf below replaces it before the server listens.
  "${as_owner[@]}" "$bin_dir/initdb" --pgdata="$data_dir" --username=postgres --auth=trust \
    --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  cat > "$data_dir/pg_hba.conf" <<'HBA'
# Written by postgres-local.sh: loopback TCP only, always with a password.
host all all 127.0.0.1/32 scram-sha-256
host all all ::1/128      scram-sha-256
HBA
  [ "$(id -u)" -ne 0 ] || chown postgres:postgres "$data_dir/pg_hba.conf"
fi

# Single-user mode sets the password without opening a port; quotes are doubled for SQL.
escaped=${POSTGRES_PASSWORD//\'/\'\'}
printf "ALTER ROLE postgres WITH PASSWORD '%s';\n" "$escaped" \
  | "${as_owner[@]}" "$bin_dir/postgres" --single -D "$data_dir" postgres >/dev/null

"${as_owner[@]}" "$bin_dir/postgres" -D "$data_dir" -p "$port" \
  -c listen_addresses=127.0.0.1 \
  -c unix_socket_directories= \
  -c max_connections=300 \
  -c password_encryption=scram-sha-256 \
  -c log_line_prefix='%m [%p] ' &
server=$!

# The orchestrator stops us with SIGTERM; ask the server for a fast shutdown (SIGINT) so
# open pool connections cannot hold it up, then wait for it to finish writing.
trap 'kill -INT "$server" 2>/dev/null || true' TERM INT
status=0
while kill -0 "$server" 2>/dev/null; do
  wait "$server" || status=$?
done
exit "$status"
