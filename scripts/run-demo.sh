#!/usr/bin/env bash
# Starts corral-mock as the demo provider on 127.0.0.1:9001 and corral in the foreground with
# config/corral.yaml. Ctrl-C stops both.
set -euo pipefail
build=${1:-build}
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
"$build/corral-mock" --listen 127.0.0.1:9001 --chunks 8 --chunk-delay-ms 30 &
mock=$!
trap 'kill $mock 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  (exec 3<>/dev/tcp/127.0.0.1/9001) 2>/dev/null && break
  sleep 0.05
done
echo "corral-mock on 127.0.0.1:9001; corral on 127.0.0.1:8080 (keys in config/corral.yaml)"
"$build/corral" --config config/corral.yaml
