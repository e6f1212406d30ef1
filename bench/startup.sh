#!/usr/bin/env bash
# Start-up time of the whole platform: from `dotnet run --project Analytics.AppHost` to the
# AppHost's "Platform ready" line (every resource with a health check healthy).
#
#   bench/startup.sh [RUNS]     (default 3; the first run of each kind initializes a data folder)
#
# Prints, per run, the wall time from the command to the line and the AppHost's own figure
# (from its process start, so without `dotnet run`'s build check).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
data=$(mktemp -d -t analytics-startup-XXXXXX)
chmod 755 "$data"   # the server may run as the postgres OS user
trap 'rm -rf "$data"' EXIT

dotnet build Analytics.AppHost -v quiet -nologo >/dev/null

for kind in fresh-data-folder existing-data-folder; do
  for i in $(seq 1 "$runs"); do
    [ "$kind" = fresh-data-folder ] && rm -rf "$data/pg"
    log=$(mktemp)
    start=$(date +%s.%N)
    dotnet run --project Analytics.AppHost -- "--Postgres:DataDirectory=$data/pg" >"$log" 2>&1 &
    pid=$!
    for _ in $(seq 1 900); do
      grep -q "Platform ready" "$log" && break
      kill -0 "$pid" 2>/dev/null || { cat "$log"; exit 1; }
      sleep 0.1
    done
    grep -q "Platform ready" "$log" || { echo "not ready after 90 s:"; tail -30 "$log"; kill -TERM "$pid"; exit 1; }
    end=$(date +%s.%N)
    own=$(grep -A1 "Platform ready" "$log" | grep -o '[0-9.]* s after' | cut -d' ' -f1)
    printf '%-22s run %d: %5.1f s from dotnet run, %5.1f s from AppHost start\n' "$kind" "$i" "$(echo "$end - $start" | bc)" "$own"
    # SIGTERM: a background job of a script ignores SIGINT. dotnet run passes it on to the
    # AppHost, which stops every resource before it exits.
    kill -TERM "$pid"; wait "$pid" || true
    # The orchestrator finishes stopping the resources after the AppHost exits; let it, so
    # the next run starts on a quiet machine.
    for _ in $(seq 1 600); do pgrep -f "dcp start-apiserver" >/dev/null || break; sleep 0.1; done
    rm -f "$log"
  done
done
