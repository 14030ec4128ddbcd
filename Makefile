# EdgeMQ: `make run` starts one node, `make test` runs every test. Both install what
# they need first (npm packages; for tests, Debian's chromium for the browser test).
SHELL := /bin/bash
.DEFAULT_GOAL := run

NODE_MAJOR_REQUIRED := 20
APT_GET := DEBIAN_FRONTEND=noninteractive apt-get

.PHONY: run build test deps system-test-deps lint bench chaos config-table clean

# npm install, not npm ci: this registry omits other platforms' optional packages from the
# lock file, which npm ci rejects as out of sync.
node_modules/.package-lock.json: package.json package-lock.json $(wildcard */*/package.json)
	@node -e 'const m=+process.versions.node.split(".")[0]; if (m!==$(NODE_MAJOR_REQUIRED)) { console.error("EdgeMQ needs Node.js $(NODE_MAJOR_REQUIRED) (uWebSockets.js ships binaries per Node ABI); found " + process.version); process.exit(1) }'
	npm install --no-audit --no-fund --loglevel=error
	@touch $@

deps: node_modules/.package-lock.json

# tsc emits only what it compiles; copy-assets adds the files dist reads at run time (Lua).
build: deps
	npx tsc -b
	node scripts/copy-assets.mjs

run: build
	bin/edgemq $(ARGS)

# Debian packages the tests drive: chromium for the browser page test, openssl for the
# TLS tests' throwaway certificates, and redis-server (with redis-cli): libs/testkit starts
# a plain Redis with testcontainers when a Docker engine answers and redis-server on a free
# loopback port otherwise, and the Redis Cluster and Sentinel tests always run redis-server.
system-test-deps:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	command -v openssl >/dev/null 2>&1 || missing="$$missing openssl"; \
	command -v redis-server >/dev/null 2>&1 || missing="$$missing redis-server"; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages for tests:$$missing"; \
	  $(APT_GET) update -qq && $(APT_GET) install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

test: build system-test-deps
	npx biome check .
	npx tsc -p tsconfig.test.json
	node scripts/config-table.mjs --check README.md
	npx vitest run

lint: deps
	npx biome check .

bench: build
	node apps/bench/dist/main.js $(ARGS)

# The chaos suite, full form: three real nodes on one Redis per scenario, faults injected
# while traffic flows; exits non-zero when a scenario loses acknowledged messages.
# `make chaos ARGS="--scenarios kill-node --duration 30"`; `--help` lists the flags.
chaos: build system-test-deps
	node apps/chaos/dist/main.js $(ARGS)

config-table: build
	node scripts/config-table.mjs README.md

clean:
	npx tsc -b --clean
