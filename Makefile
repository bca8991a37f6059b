# The two commands of the README (each installs what it needs, as root, on Debian 12):
#   make run   — build and runtime packages, build, start corral-mock and corral (config/corral.yaml)
#   make test  — also the test packages, build, run every test (also under ASan+UBSan and TSan)
# And: make bench (benchmark packages, then bench/compare --quick), make fuzz (each fuzzer for
# FUZZ_SECONDS), make fresh-machine-check (both commands in a new Debian 12 root).
JOBS ?= $(shell nproc)
BUILD ?= build
ASAN_BUILD ?= build-asan
CMAKE_FLAGS ?=

.PHONY: deps-run deps-test deps-bench build build-tests build-asan run test test-fast bench clean format \
	fresh-machine-check

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

run: build
	bash scripts/run-demo.sh $(BUILD)

# The whole suite: unit, integration and SDK end-to-end tests on the optimised build, then the
# unit and integration tests again under AddressSanitizer and UndefinedBehaviorSanitizer.
test: build-tests build-asan
	cd $(BUILD) && ctest --output-on-failure -j 2
	cd $(ASAN_BUILD) && ctest --output-on-failure -j 2 -LE 'e2e|packaging'

test-fast: build-tests
	cd $(BUILD) && ctest --output-on-failure -j 2

bench: deps-bench build-tests
	python3 bench/compare --quick

fresh-machine-check:
	bash scripts/fresh-machine-check

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)

format:
	clang-format -i $$(git ls-files '*.cpp' '*.hpp')
