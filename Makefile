# sagemaker-cd — every entry point a person or CI needs.
#   make demo    the whole system end to end against the local emulator (moto)
#   make test    vet, format check and every test (unit, simulator, emulator, templates)
#   make bench   the performance tables (refresh policy vs the original, promotion vs awscli)

SHELL := /bin/bash
GO ?= go
PYTHON ?= python3
MOTO_VERSION ?= 5.2.1
STATICCHECK_VERSION ?= v0.8.2
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export SMCD_PYTHON := $(PYTHON)

.PHONY: all deps test race demo bench build lint fmt examples clean

all: test

## deps: check Go and Node; install moto and cfn-lint with pip when they are missing (and say so);
##       install the IAM policy engine of internal/iamcheck with npm ci.
deps:
	@command -v $(GO) >/dev/null || { echo "Go is required (>= 1.26): https://go.dev/dl/"; exit 1; }
	@command -v node >/dev/null || { echo "Node.js >= 20 is required by the CDK (jsii): https://nodejs.org/"; exit 1; }
	@node -e 'process.exit(parseInt(process.versions.node) >= 20 ? 0 : 1)' || { echo "Node.js >= 20 is required, found $$(node --version)"; exit 1; }
	@command -v npm >/dev/null || { echo "npm is required (it comes with Node.js): the Seedfarmer module test installs the pinned CDK CLI with npm ci"; exit 1; }
	@command -v gcc >/dev/null || { echo "gcc is required by the race detector in make test (Debian: apt-get install gcc)"; exit 1; }
	@command -v $(PYTHON) >/dev/null || { echo "Python 3 is required for the local AWS emulator (moto)"; exit 1; }
	@$(PYTHON) -c 'import moto.server, werkzeug, flask' 2>/dev/null || { \
		echo "moto is missing: installing moto[server]==$(MOTO_VERSION) with pip"; \
		$(PYTHON) -m pip install --quiet "moto[server]==$(MOTO_VERSION)"; }
	@command -v cfn-lint >/dev/null || { \
		echo "cfn-lint is missing: installing it with pip"; \
		$(PYTHON) -m pip install --quiet cfn-lint; }
	@$(GO) mod download
	@# The IAM policy engine of the emulator tests (internal/iamcheck), pinned by its package-lock.json.
	@test internal/iamcheck/node_modules/.package-lock.json -nt internal/iamcheck/package-lock.json || { \
		echo "installing the IAM policy engine: npm ci --prefix internal/iamcheck"; \
		npm ci --prefix internal/iamcheck --no-audit --no-fund --loglevel=error; }

build: deps
	$(GO) build ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "not gofmt-formatted:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...

## test: every test; emulator tests start their own moto_server on a free loopback port.
test: deps lint
	$(GO) test -count=1 -timeout 20m ./...
	$(MAKE) race
	$(MAKE) examples

## race: the concurrent runtime (copier worker pools, racing refresher invocations) under the race detector.
race:
	CGO_ENABLED=1 $(GO) test -race -count=1 -timeout 10m ./promotion/... ./refresh/refresher/... ./cmd/package-cleaner/...

examples:
	cd examples/endpoint-app && $(GO) test -count=1 ./...

demo: deps
	$(GO) run ./cmd/smcd-demo

bench: deps
	$(GO) run ./cmd/smcd-bench

clean:
	rm -rf cdk.out examples/*/cdk.out
