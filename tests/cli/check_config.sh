#!/usr/bin/env bash
# The command line contract of docs/operations.md ("Running"), run against the built binary.
set -u
corral=$1 src=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

for f in config/corral.yaml config/example.yaml docker/corral.compose.yaml; do
  out=$("$corral" --check-config --config "$src/$f") || fail "$f rejected: $out"
  [ "$out" = ok ] || fail "$f: expected ok, got: $out"
done

printf 'server:\n  threads: many\n  bogus: 1\n' >"$tmp/bad.yaml"
out=$("$corral" --check-config --config "$tmp/bad.yaml" 2>&1); rc=$?
[ $rc -eq 2 ] || fail "invalid config exit $rc, want 2"
echo "$out" | grep -q "^$tmp/bad.yaml:2:12: server.threads: expected a whole number" || fail "no position: $out"
echo "$out" | grep -q "^$tmp/bad.yaml:3:3: unknown key \"bogus\"" || fail "second error missing: $out"

# A bad config makes the daemon exit 2 without listening.
"$corral" --config "$tmp/bad.yaml" >/dev/null 2>&1; rc=$?
[ $rc -eq 2 ] || fail "daemon with invalid config exit $rc, want 2"

# A state file that cannot be used stops the daemon at start: exit 2, the path and the reason.
state_config() {
  printf 'server:\n  listen: "127.0.0.1:0"\nproviders:\n  p:\n    base_url: "http://127.0.0.1:9/v1"\n'
  printf 'models:\n  m:\n    routes: [{provider: p}]\nstate:\n  path: "%s"\n' "$1"
}
touch "$tmp/a-file"
state_config "$tmp/a-file/state.db" >"$tmp/state1.yaml"
out=$("$corral" --config "$tmp/state1.yaml" 2>&1); rc=$?
[ $rc -eq 2 ] || fail "unusable state.path exit $rc, want 2"
echo "$out" | grep -q "state.path: $tmp/a-file/state.db: cannot create the directory" || fail "no path or reason: $out"
printf 'this is not a database, only some text that is long enough to be read as a header' >"$tmp/corrupt.db"
state_config "$tmp/corrupt.db" >"$tmp/state2.yaml"
out=$("$corral" --config "$tmp/state2.yaml" 2>&1); rc=$?
[ $rc -eq 2 ] || fail "corrupt state file exit $rc, want 2"
echo "$out" | grep -q "state.path: $tmp/corrupt.db: file is not a database" || fail "corrupt file not named: $out"

out=$(printf 'sk-acme-0001\n' | "$corral" hash-key) || fail "hash-key failed"
[ "$out" = "sha256:f64df940e75359a440632480fb0bb219a66c8db9e108aa87fc8208436e460138" ] || fail "hash-key: $out"
printf '' | "$corral" hash-key >/dev/null 2>&1 && fail "hash-key accepted an empty key"

"$corral" --version | grep -Eq '^corral [0-9]+\.[0-9]+\.[0-9]+$' || fail "--version"
"$corral" --help | grep -q -- "--check-config" || fail "--help"
"$corral" --nonsense >/dev/null 2>&1; [ $? -eq 2 ] || fail "unknown flag must exit 2"
echo "cli: all checks passed"
