#!/usr/bin/env bash
# Starts corral-mock as the demo provider on 127.0.0.1:9001 and corral in the foreground with
# config/corral.yaml. Ctrl-C stops both.
set -euo pipefail
build=${1:-build}
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"

open_port() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# A port already taken would make the mock (or corral) exit, or worse, send the demo's requests to
# another program: say which port and which key instead.
if open_port 9001; then
  echo "run-demo: 127.0.0.1:9001 is taken by another program; corral-mock (the demo provider of" \
    "config/corral.yaml, providers.mock.base_url) needs it" >&2
  exit 1
fi
"$build/corral-mock" --listen 127.0.0.1:9001 --chunks 8 --chunk-delay-ms 30 &
mock=$!
trap 'kill $mock 2>/dev/null || true' EXIT
for _ in $(seq 200); do
  open_port 9001 && break
  kill -0 "$mock" 2>/dev/null || { echo "run-demo: corral-mock exited" >&2; exit 1; }
  sleep 0.05
done
echo "corral-mock on 127.0.0.1:9001; corral on 127.0.0.1:8080, admin on 127.0.0.1:9181 (keys in config/corral.yaml)"
"$build/corral" --config config/corral.yaml
