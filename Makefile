# opspilot — one command each for the demo, the tests and the benchmarks, on a fresh Debian
# bookworm machine. Missing Debian packages are installed first (apt-get; sudo when not root).

BUILD_TEST  ?= build/test
BUILD_REL   ?= build/release
BUILD_BENCH ?= build/bench
JOBS        ?= $(shell nproc)

DEB_PACKAGES := cmake g++ make pkg-config python3 \
  libboost1.81-dev libcurl4-openssl-dev libyaml-cpp-dev nlohmann-json3-dev libeigen3-dev \
  libssl-dev prometheus-cpp-dev libgtest-dev libgmock-dev libbenchmark-dev prometheus wrk curl \
  golang-go golang-github-masterminds-sprig-dev golang-gopkg-yaml.v3-dev

.PHONY: all deps build test demo bench fuzz clean help kustomize-base

all: build

help:
	@echo "make demo   install, build and run the agent against the sandbox; writes demo-report.md/.html"
	@echo "make test   install, build (ASan+UBSan) and run every test"
	@echo "make bench  install, build (Release) and run the benchmarks"
	@echo "make fuzz   build the libFuzzer targets with clang and run each for FUZZ_SECONDS (60)"
	@echo "make kustomize-base   re-render examples/kustomize/base/opspilot.yaml from the Helm chart"

deps:
	@missing=""; for p in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  if [ "$$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi

$(BUILD_REL)/CMakeCache.txt:
	cmake -S . -B $(BUILD_REL) -DCMAKE_BUILD_TYPE=Release -DOPSPILOT_TESTS=OFF

build: deps $(BUILD_REL)/CMakeCache.txt
	cmake --build $(BUILD_REL) -j $(JOBS) --target opspilot opspilot-sandbox opspilot-k8s-sim

$(BUILD_TEST)/CMakeCache.txt:
	cmake -S . -B $(BUILD_TEST) -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS="-O1" -DOPSPILOT_SANITIZE=ON

test: deps $(BUILD_TEST)/CMakeCache.txt
	cmake --build $(BUILD_TEST) -j $(JOBS)
	cd $(BUILD_TEST) && ctest --output-on-failure -j $(JOBS) --timeout 300

demo: build
	examples/demo/run-demo.sh $(BUILD_REL)

$(BUILD_BENCH)/CMakeCache.txt:
	cmake -S . -B $(BUILD_BENCH) -DCMAKE_BUILD_TYPE=Release -DOPSPILOT_TESTS=OFF -DOPSPILOT_BENCH=ON

bench: deps $(BUILD_BENCH)/CMakeCache.txt
	cmake --build $(BUILD_BENCH) -j $(JOBS)
	bench/run-all.sh $(BUILD_BENCH)

fuzz: deps
	@dpkg-query -W -f='$${Status}' clang libclang-rt-14-dev 2>/dev/null | grep -q "ok installed.*ok installed" || \
	  { if [ "$$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
	    $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends clang libclang-rt-14-dev; }
	tests/fuzz/run.sh build/fuzz

# examples/kustomize/base/opspilot.yaml is the chart rendered for examples/kustomize/base/values.yaml
# (tests/chart_test.cpp fails while they differ).
kustomize-base: deps $(BUILD_TEST)/CMakeCache.txt
	cmake --build $(BUILD_TEST) --target opspilot-helm-render
	$(BUILD_TEST)/opspilot-helm-render charts/opspilot --release opspilot -n opspilot \
	  -f examples/kustomize/base/values.yaml > examples/kustomize/base/opspilot.yaml

clean:
	rm -rf build demo-out demo-report.md demo-report.html
