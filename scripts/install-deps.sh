#!/usr/bin/env bash
# Installs the Debian 12 packages one of the README's commands needs, and no more:
#   install-deps.sh run    building and running corral (the compiler, CMake, the libraries)
#   install-deps.sh test   + what the tests need: GoogleTest, redis-server, Node.js with the official
#                          SDKs (npm), promtool, systemd-analyze, clang for the fuzzers and TSan
#   install-deps.sh bench  + what the benchmarks compare against: nginx, HAProxy, Google Benchmark, perf
# Idempotent: packages already installed are not touched, so a second run needs no network.
#
# Some of these packages start a system service when installed (redis-server on :6379, prometheus
# on :9090, nginx on :80, haproxy). corral's tests and benchmarks use only their binaries and start
# their own instances on free loopback ports; to leave nothing running that the user did not ask
# for, services are not started during the install (a temporary /usr/sbin/policy-rc.d, when the
# machine has none of its own).
set -euo pipefail

profile=${1:-run}
run_packages=(
  build-essential cmake ninja-build pkg-config ca-certificates
  libboost1.81-dev libssl-dev libhiredis-dev nlohmann-json3-dev libspdlog-dev libyaml-cpp-dev
  libsqlite3-dev libjemalloc-dev
)
test_packages=(
  ccache git openssl procps libgtest-dev libgmock-dev redis-server nodejs npm prometheus systemd dpkg-dev
  clang libclang-rt-14-dev sqlite3
)
bench_packages=(nginx haproxy libbenchmark-dev python3 linux-perf)

case "$profile" in
  run) packages=("${run_packages[@]}") ;;
  test) packages=("${run_packages[@]}" "${test_packages[@]}") ;;
  bench) packages=("${run_packages[@]}" "${test_packages[@]}" "${bench_packages[@]}") ;;
  *)
    echo "usage: $0 run|test|bench" >&2
    exit 2
    ;;
esac

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
missing=()
for p in "${packages[@]}"; do
  case "$p" in
    # Node.js from another source (nodesource, a version manager) is as good as Debian's.
    nodejs) command -v node >/dev/null 2>&1 && continue ;;
    npm) command -v npm >/dev/null 2>&1 && continue ;;
  esac
  installed "$p" || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: need root to install: ${missing[*]}" >&2
    exit 1
  fi
  policy=/usr/sbin/policy-rc.d
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\n# installed by corral install-deps.sh for the length of one apt-get run\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    trap 'rm -f "$policy"' EXIT
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [ "$profile" != run ]; then
  # The end-to-end tests drive corral with the official SDKs (versions pinned by package-lock.json).
  here=$(cd "$(dirname "$0")/.." && pwd)
  stamp="$here/tests/e2e/node_modules/.corral-lock"
  if ! cmp -s "$here/tests/e2e/package-lock.json" "$stamp" 2>/dev/null; then
    (cd "$here/tests/e2e" && npm ci --no-audit --no-fund --loglevel=error)
    cp "$here/tests/e2e/package-lock.json" "$stamp"
  fi
fi
echo "install-deps ($profile): ok"
