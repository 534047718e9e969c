# gatehouse: the two set-up commands (make demo, make check) and the usual targets.
# Everything builds through CMake into build/ (release) and build-asan/ (sanitizers).

BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS ?=
PYTEST     := /usr/bin/python3 -m pytest

.PHONY: all deps test-deps build demo check test unit asan integration e2e fuzz bench format clean

all: build

deps:
	@bash scripts/deps.sh

# The npm packages of the test OpenID provider (tests/oidc) and of the console's browser
# tests (tests/e2e), from their committed lock files. (web/ is installed by the build.)
OIDC_NODE := tests/oidc/node_modules/.package-lock.json
E2E_NODE  := tests/e2e/node_modules/.package-lock.json
$(OIDC_NODE): tests/oidc/package-lock.json tests/oidc/package.json
	cd tests/oidc && npm ci --no-audit --no-fund --loglevel=error
$(E2E_NODE): tests/e2e/package-lock.json tests/e2e/package.json
	cd tests/e2e && npm ci --no-audit --no-fund --loglevel=error
test-deps: deps $(OIDC_NODE) $(E2E_NODE)

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS)

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j$(JOBS)

# A throw-away data dir, a simulated organization and a working day of badge traffic, then
# the server fed by the simulator (until Ctrl-C).
demo: build
	@bash scripts/demo.sh $(BUILD)/gatehouse

# Every test suite: warnings as errors under gcc, unit tests, fuzz corpora, integration
# tests against the real binary, then all of it again under ASan+UBSan with clang.
check: test-deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGH_WERROR=ON $(CMAKE_FLAGS)
	cmake --build $(BUILD) -j$(JOBS)
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS)
	GATEHOUSE_BIN=$(CURDIR)/$(BUILD)/gatehouse $(PYTEST) -q tests/integration
	$(MAKE) e2e
	$(MAKE) asan

asan: test-deps
	CC=clang cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DGH_WERROR=ON -DGH_SANITIZE=ON
	cmake --build $(ASAN_BUILD) -j$(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j$(JOBS)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  GATEHOUSE_BIN=$(CURDIR)/$(ASAN_BUILD)/gatehouse $(PYTEST) -q tests/integration

test: check

unit: build
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS) -L unit

# The console in Debian's chromium (playwright-core); screenshots in $(BUILD)/e2e-artifacts.
e2e: build test-deps
	cd tests/e2e && GATEHOUSE_BIN=$(CURDIR)/$(BUILD)/gatehouse \
	  E2E_ARTIFACTS=$(CURDIR)/$(BUILD)/e2e-artifacts node --test --test-concurrency=1 .

integration: build test-deps
	GATEHOUSE_BIN=$(CURDIR)/$(BUILD)/gatehouse $(PYTEST) -q tests/integration

# libFuzzer runs (not part of check; the corpora are replayed by check).
fuzz: deps
	CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DGH_FUZZ=ON -DGH_SANITIZE=ON -DGH_TESTS=OFF
	cmake --build build-fuzz -j$(JOBS)
	@echo "run e.g.: build-fuzz/fuzz_roster -max_total_time=60 \$$(mktemp -d) tests/fuzz/corpus/roster"

bench: build $(E2E_NODE)
	@bash scripts/deps.sh bench
	@bash bench/run.sh $(BUILD)

format:
	clang-format -i $$(git ls-files 'src/*.c' 'src/*.h' 'tests/*.c' 'bench/*.c')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) build-fuzz
