# The two commands of the README (each installs what it needs, as root, on Debian 12):
#   make run   — build and runtime packages, build, start corral-mock and corral (config/corral.yaml)
#   make test  — also the test packages, build, run every test (also under ASan+UBSan and TSan, and
#                the fuzzers for a short while)
# And: make bench (benchmark packages, then bench/compare --quick), make fuzz (each fuzzer for
# FUZZ_SECONDS), make fresh-machine-check (both commands in a new Debian 12 root).
JOBS ?= $(shell nproc)
BUILD ?= build
ASAN_BUILD ?= build-asan
TSAN_BUILD ?= build-tsan
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
CMAKE_FLAGS ?=
# Sanitizer reports fail the run at once, in the tests and in the daemons they start.
SANITIZER_ENV = ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
	TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1:suppressions=$(CURDIR)/tests/tsan.supp

.PHONY: deps-run deps-test deps-bench build build-tests build-asan build-tsan build-fuzz run test test-fast \
	bench fuzz clean format fresh-machine-check

deps-run:
	bash scripts/install-deps.sh run
deps-test:
	bash scripts/install-deps.sh test
deps-bench:
	bash scripts/install-deps.sh bench

# corral and corral-mock only: no test framework needed.
build: deps-run
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=/usr \
		-DCORRAL_TESTS=OFF $(CMAKE_FLAGS)
	cmake --build $(BUILD) -j $(JOBS) --target corral corral-mock corral-load

build-tests: deps-test
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=/usr \
		-DCORRAL_TESTS=ON $(CMAKE_FLAGS)
	cmake --build $(BUILD) -j $(JOBS)

build-asan: deps-test
	cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCORRAL_SANITIZE=ON
	cmake --build $(ASAN_BUILD) -j $(JOBS)

build-tsan: deps-test
	cmake -S . -B $(TSAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCORRAL_SANITIZE_THREAD=ON
	cmake --build $(TSAN_BUILD) -j $(JOBS)

# The libFuzzer programs (clang), one per parser of tests/fuzz/.
build-fuzz: deps-test
	cmake -S . -B $(FUZZ_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang \
		-DCMAKE_CXX_COMPILER=clang++ -DCORRAL_FUZZ=ON
	cmake --build $(FUZZ_BUILD) -j $(JOBS)

fuzz: build-fuzz
	FUZZ_BUILD=$(abspath $(FUZZ_BUILD)) bash scripts/fuzz.sh $(FUZZ_SECONDS)

run: build
	bash scripts/run-demo.sh $(BUILD)

# The whole suite: unit, integration, SDK end-to-end, packaging and repository tests and the fuzz
# corpora on the optimised build; unit, integration and corpora again under AddressSanitizer and
# UndefinedBehaviorSanitizer (LeakSanitizer included: a daemon that drains must free everything)
# and under ThreadSanitizer; then every fuzzer for a short while.
test: build-tests build-asan build-tsan build-fuzz
	cd $(BUILD) && ctest --output-on-failure -j 2
	cd $(ASAN_BUILD) && $(SANITIZER_ENV) ctest --output-on-failure -j 2 -LE 'e2e|packaging'
	cd $(TSAN_BUILD) && $(SANITIZER_ENV) ctest --output-on-failure -j 2 -LE 'e2e|packaging'
	FUZZ_BUILD=$(abspath $(FUZZ_BUILD)) bash scripts/fuzz.sh 20

test-fast: build-tests
	cd $(BUILD) && ctest --output-on-failure -j 2

bench: deps-bench build-tests
	python3 bench/compare --quick

fresh-machine-check:
	bash scripts/fresh-machine-check

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(TSAN_BUILD) $(FUZZ_BUILD)

format:
	clang-format -i $$(git ls-files '*.cpp' '*.hpp')
