#!/usr/bin/env bash
# Runs every libFuzzer program of build-fuzz/ (make build-fuzz) for SECONDS each, as many at once
# as there are cores, starting from the seed corpus in tests/fuzz/corpus/<target>/ and keeping what
# they find in build-fuzz/corpus/<target>/ for the next run. A crash, leak, sanitizer report or
# violated property fails the run; the input is kept in build-fuzz/findings/.
#
#   scripts/fuzz.sh [SECONDS] [--merge]
#
# --merge adds the inputs that reach new coverage to the repository's corpus (minimised), so that
# the regression run (ctest fuzz_replay) covers them from now on.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-60}
merge=0
[ "${2:-}" = --merge ] && merge=1
build=${FUZZ_BUILD:-$here/build-fuzz}
jobs=$(nproc)
mkdir -p "$build/findings" "$build/logs"
targets=$(cd "$here/tests/fuzz" && ls ./*_fuzz.cpp | sed 's|./||; s|_fuzz.cpp||')

run_one() {
  local t=$1 work="$build/corpus/$1"
  mkdir -p "$work"
  local exe="$build/tests/fuzz/fuzz_$t"
  [ -x "$exe" ] || { echo "$t: $exe is missing (make build-fuzz)"; return 1; }
  if "$exe" -max_total_time="$seconds" -max_len=8192 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="$build/findings/$t-" "$work" "$here/tests/fuzz/corpus/$t" >"$build/logs/$t.log" 2>&1; then
    local execs
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$build/logs/$t.log")
    printf '%-14s ok    %10s executions in %ss, corpus %s inputs\n' "$t" "$execs" "$seconds" "$(ls "$work" | wc -l)"
  else
    printf '%-14s FAILED (see %s)\n' "$t" "$build/logs/$t.log"
    grep -E 'ERROR|property violated|SUMMARY' "$build/logs/$t.log" | head -5
    return 1
  fi
}
export -f run_one
export build here seconds

status=0
printf '%s\n' $targets | xargs -P "$jobs" -I{} bash -c 'run_one {}' || status=1
if [ "$merge" -eq 1 ] && [ $status -eq 0 ]; then
  for t in $targets; do
    "$build/tests/fuzz/fuzz_$t" -merge=1 "$here/tests/fuzz/corpus/$t" "$build/corpus/$t" >/dev/null 2>&1
    echo "$t: $(ls "$here/tests/fuzz/corpus/$t" | wc -l) inputs in the repository's corpus"
  done
fi
exit $status
