# xdpkit - `make help` lists the targets.
.DELETE_ON_ERROR:
.DEFAULT_GOAL := all

PREFIX ?= /usr/local
DESTDIR ?=
CLANG ?= clang
CC ?= cc
LLVM_STRIP ?= llvm-strip
CFLAGS ?= -O2 -g
BUILD := build

ARCH_INC := /usr/include/$(shell $(CC) -dumpmachine 2>/dev/null)
BPF_CFLAGS := -target bpf -mcpu=v3 -O2 -g -Wall -Wextra -Werror -I$(ARCH_INC) -Ibpf
# Table sizes (entries); see README for their memory cost.
BPF_SIZES := $(if $(XK_FLOW_SLOTS),-DXK_FLOW_SLOTS=$(XK_FLOW_SLOTS)) $(if $(XK_PORT_SLOTS),-DXK_PORT_SLOTS=$(XK_PORT_SLOTS)) $(if $(XK_WAYS),-DXK_WAYS=$(XK_WAYS))
# The version: VERSION, and the commit when built from a git checkout.
VERSION := $(shell cat VERSION)$(shell git describe --always --dirty 2>/dev/null | sed 's/^/+/')
HELPER_CFLAGS := $(CFLAGS) -Wall -Wextra -Werror $(shell pkg-config --cflags libbpf 2>/dev/null) -DXK_VERSION='"$(VERSION)"'
HELPER_LIBS := $(shell pkg-config --libs libbpf 2>/dev/null || echo -lbpf)

BPF_OBJS := $(BUILD)/xdpkit.bpf.o $(BUILD)/conntrack.bpf.o $(BUILD)/pass.bpf.o $(BUILD)/tcpass.bpf.o
HELPERS := $(BUILD)/xk-dump $(BUILD)/xk-drain
VERSION_FILE := $(BUILD)/version
BIN := $(wildcard bin/xdp-*)
SHELL_FILES := $(BIN) $(wildcard lib/*.sh lib/modules/*.sh) $(wildcard tests/*.sh examples/*.sh) man/mkman.sh .ci/run

# Debian/Ubuntu packages: to build, to run, to test.
DEPS_BUILD := make gcc clang llvm libbpf-dev libelf-dev zlib1g-dev pkg-config libnats-dev
DEPS_RUN := bpftool iproute2 jq util-linux ethtool
DEPS_TEST := nats-server man-db groff-base bats shellcheck dash busybox valgrind tcpdump python3 procps iputils-ping curl tmux iperf3 netsniff-ng tshark dnsmasq-base bind9-dnsutils prometheus prometheus-node-exporter socat gnuplot-nox systemd

ifeq ($(V),1)
Q :=
msg := @true
else
Q := @
msg := @printf '  %-8s %s\n'
endif

MANPAGES := $(patsubst bin/%,$(BUILD)/man/%.8,$(BIN))

all: $(BPF_OBJS) $(HELPERS) $(VERSION_FILE) $(MANPAGES) ## build the BPF objects, helpers and man pages

# A man page from each command's --help (man/mkman.sh): the two say the same.
$(BUILD)/man/%.8: bin/% man/mkman.sh $(VERSION_FILE) | $(BUILD)
	$(msg) MAN $@
	$(Q)mkdir -p $(@D)
	$(Q)sh man/mkman.sh $< "$$(cat $(VERSION_FILE))" >$@

$(BUILD):
	$(Q)mkdir -p $@

# BPF objects of the tests (tests/fixtures) and of the benchmark
# (tests/bench): the same recipe and flags (-Werror) as the datapath's, not
# the build-time table sizes (a fixture sets its own). BENCH_CFLAGS: extra
# flags for the benchmark's, e.g. -DXK_WAYS=4.
TEST_BPF := $(patsubst tests/fixtures/%.bpf.c,$(BUILD)/test/%.bpf.o,$(wildcard tests/fixtures/*.bpf.c))
BENCH_BPF := $(patsubst tests/bench/%.bpf.c,$(BUILD)/bench/%.bpf.o,$(wildcard tests/bench/*.bpf.c))
BPF_SRC := bpf/xdpkit.bpf.c bpf/xdpkit.h bpf/parse.h bpf/dns.h bpf/conntrack.h

$(BUILD)/test/%.bpf.o: tests/fixtures/%.bpf.c tests/fixtures/records.h $(BPF_SRC) | $(BUILD) build-tools
	$(msg) CLANG $@
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/bench/%.bpf.o: tests/bench/%.bpf.c tests/bench/reference.bpf.c $(BPF_SRC) $(BUILD)/bench-flags | $(BUILD) build-tools
	$(msg) CLANG $@
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) $(BENCH_CFLAGS) -c $< -o $@

$(BUILD)/bench-flags: FORCE | $(BUILD)
	@echo '$(BENCH_CFLAGS)' | cmp -s - $@ || echo '$(BENCH_CFLAGS)' >$@

test-objs: $(TEST_BPF) $(BUILD)/test/xk-fuzz $(BUILD)/test/corpus.pcap ## the BPF objects, the fuzz harness and the frame corpus the tests use

$(BUILD)/test/xk-fuzz: tests/fuzz/xk-fuzz.c bpf/xdpkit.h | $(BUILD) build-tools
	$(msg) CC $@
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(HELPER_CFLAGS) -O2 -o $@ $< $(HELPER_LIBS)

$(BUILD)/test/corpus.pcap: tests/mkcorpus.py | $(BUILD)
	$(msg) GEN $@
	$(Q)mkdir -p $(@D)
	$(Q)python3 tests/mkcorpus.py $@ $(BUILD)/test/corpus.jsonl
bench-objs: $(BENCH_BPF) $(BUILD)/bench/refdrain $(BUILD)/bench/connrate ## the BPF objects, the reference consumer and the connection load the benchmark runs

$(BUILD)/bench/refdrain: tests/bench/refdrain.c bpf/xdpkit.h | $(BUILD) build-tools
	$(msg) CC $@
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(HELPER_CFLAGS) -o $@ $< $(HELPER_LIBS)

$(BUILD)/bench/connrate: tests/bench/connrate.c | $(BUILD)
	$(msg) CC $@
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(HELPER_CFLAGS) -o $@ $<

# Rebuild the objects when the table sizes change.
$(BUILD)/bpf-flags: FORCE | $(BUILD)
	@echo '$(BPF_SIZES)' | cmp -s - $@ || echo '$(BPF_SIZES)' >$@

$(BUILD)/%.bpf.o: bpf/%.bpf.c bpf/xdpkit.h bpf/parse.h bpf/dns.h bpf/conntrack.h $(BUILD)/bpf-flags | $(BUILD) build-tools
	$(msg) CLANG $@
	$(Q)$(CLANG) $(BPF_CFLAGS) $(BPF_SIZES) -c $< -o $@

# Rewritten only when the version changes, so the helper rebuilds then.
$(VERSION_FILE): FORCE | $(BUILD)
	@echo '$(VERSION)' | cmp -s - $@ || echo '$(VERSION)' >$@

$(BUILD)/xk-dump: helpers/xk-dump.c helpers/btfjson.c helpers/btfjson.h $(VERSION_FILE) | $(BUILD) build-tools
	$(msg) CC $@
	$(Q)$(CC) $(HELPER_CFLAGS) -o $@ helpers/xk-dump.c helpers/btfjson.c $(HELPER_LIBS)

$(BUILD)/xk-drain: helpers/xk-drain.c helpers/btfjson.c helpers/btfjson.h helpers/natspub.c helpers/natspub.h $(VERSION_FILE) | $(BUILD) build-tools
	$(msg) CC $@
	$(Q)$(CC) $(HELPER_CFLAGS) -o $@ helpers/xk-drain.c helpers/btfjson.c helpers/natspub.c $(HELPER_LIBS) -lnats -lpthread

# Fail early, with the fix, when a build tool is missing.
build-tools:
	@command -v $(CLANG) >/dev/null || { echo "make: $(CLANG) not found: run 'sudo make deps' (package clang)" >&2; exit 1; }
	@command -v $(CC) >/dev/null || { echo "make: $(CC) not found: run 'sudo make deps' (package gcc)" >&2; exit 1; }
	@pkg-config --exists libbpf 2>/dev/null || test -r /usr/include/bpf/libbpf.h || { echo "make: libbpf not found: run 'sudo make deps' (package libbpf-dev)" >&2; exit 1; }
	@test -r /usr/include/nats/nats.h || { echo "make: libnats not found: run 'sudo make deps' (package libnats-dev)" >&2; exit 1; }
	@test -d $(ARCH_INC)/asm || { echo "make: $(ARCH_INC)/asm missing: install linux-libc-dev" >&2; exit 1; }

deps: ## install the missing Debian/Ubuntu packages (idempotent)
	@. /etc/os-release 2>/dev/null; \
	case " $$ID $$ID_LIKE " in *" debian "*|*" ubuntu "*) ;; *) \
		echo "make deps: not Debian/Ubuntu; install these packages (or their equivalents): $(DEPS_BUILD) $(DEPS_RUN) $(DEPS_TEST)" >&2; exit 1;; esac; \
	missing=""; for p in $(DEPS_BUILD) $(DEPS_RUN) $(DEPS_TEST); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then echo "make deps: all packages present"; exit 0; fi; \
	echo "make deps: installing:$$missing"; \
	export DEBIAN_FRONTEND=noninteractive; \
	log=$$(mktemp); \
	{ apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing; } >"$$log" 2>&1 || \
		{ cat "$$log" >&2; rm -f "$$log"; echo "make deps: apt-get install failed for:$$missing" >&2; exit 1; }; \
	rm -f "$$log"; \
	echo "make deps: done"

lint: $(BPF_OBJS) ## shellcheck, dash parse, clang warnings as errors (BPF built with -Werror)
	$(msg) SHCHECK "bin lib tests examples"
	$(Q)shellcheck -s sh -x $(SHELL_FILES)
	$(msg) SHCHECK "completion (bash)"
	$(Q)shellcheck -s bash completion/xdpkit.bash
	$(msg) DASH "parse"
	$(Q)for f in $(SHELL_FILES); do dash -n $$f || exit 1; done
	$(msg) JQ "lib/*.jq"
	$(Q)for f in lib/*.jq; do jq -n -L lib "include \"$$(basename $$f .jq)\"; 1" >/dev/null || exit 1; done

test: all test-objs ## run the bats tests (root)
	$(Q)sh tests/run $(TESTS)

# check and demo set a fresh Debian/Ubuntu machine up themselves.
deps-auto:
	@. /etc/os-release 2>/dev/null; case " $$ID $$ID_LIKE " in \
		*" debian "*|*" ubuntu "*) $(MAKE) --no-print-directory deps ;; \
		*) echo "make: not Debian/Ubuntu: skipping 'make deps'" ;; esac

need-root:
	@test "$$(id -u)" -eq 0 || { echo "make: $(MAKECMDGOALS) needs root: sudo make $(MAKECMDGOALS)" >&2; exit 1; }

check: need-root deps-auto ## install deps, lint, build, all tests (root); last line: N passed, N failed
	$(Q)$(MAKE) --no-print-directory lint
	$(Q)$(MAKE) --no-print-directory all test-objs
	$(Q)sh tests/run $(TESTS)

bench: need-root all bench-objs ## per-packet cost table (BPF_PROG_TEST_RUN; root)
	$(Q)sh tests/bench.sh

fuzz: need-root all test-objs ## FUZZ_FRAMES (default 1,000,000) random and mutated frames through every hook, every feature on (root)
	$(Q)sh tests/fuzz.sh $(FUZZ_FRAMES)

soak: need-root all ## SOAK_SECONDS (default 600) of mixed traffic, every feature on, readers restarted, snapshots, a real Prometheus (root)
	$(Q)sh tests/soak.sh $(SOAK_SECONDS)

bench-traffic: need-root all ## throughput of a veth with a monitor attached (iperf3; root)
	$(Q)sh tests/bench-traffic.sh

demo: need-root deps-auto ## install deps, build, attach to a throwaway veth pair, show, clean up (root)
	$(Q)$(MAKE) --no-print-directory all
	$(Q)sh examples/demo.sh

# FHS, as other tools under /usr/local: commands and the helper in bin/, the
# BPF objects (and the version) in lib/xdpkit/, the shell and jq library in
# share/xdpkit/. The commands find the rest from their own place, so the
# tree can be moved (DESTDIR) and still works.
install: all ## install under $(DESTDIR)$(PREFIX)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/xdpkit $(DESTDIR)$(PREFIX)/share/xdpkit/modules \
		$(DESTDIR)$(PREFIX)/share/man/man8 $(DESTDIR)$(PREFIX)/share/doc/xdpkit \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions
	install -m 0644 $(BUILD)/xdpkit.bpf.o $(BUILD)/conntrack.bpf.o $(VERSION_FILE) $(DESTDIR)$(PREFIX)/lib/xdpkit/
	install -m 0755 $(HELPERS) $(BIN) $(DESTDIR)$(PREFIX)/bin/
	install -m 0644 lib/*.sh lib/*.jq $(DESTDIR)$(PREFIX)/share/xdpkit/
	install -m 0644 lib/modules/*.sh $(DESTDIR)$(PREFIX)/share/xdpkit/modules/
	install -m 0644 $(MANPAGES) $(DESTDIR)$(PREFIX)/share/man/man8/
	install -m 0644 README.md $(DESTDIR)$(PREFIX)/share/doc/xdpkit/
	install -m 0644 completion/xdpkit.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/xdpkit
	for f in $(BIN); do ln -sf xdpkit $(DESTDIR)$(PREFIX)/share/bash-completion/completions/$${f##*/}; done

uninstall: ## remove what install put there (and the directories it made, when empty)
	for f in $(BIN) $(HELPERS); do rm -f $(DESTDIR)$(PREFIX)/bin/$${f##*/}; done
	for f in $(BIN); do rm -f $(DESTDIR)$(PREFIX)/share/man/man8/$${f##*/}.8 $(DESTDIR)$(PREFIX)/share/bash-completion/completions/$${f##*/}; done
	rm -f $(DESTDIR)$(PREFIX)/share/bash-completion/completions/xdpkit
	-rmdir $(DESTDIR)$(PREFIX)/share/bash-completion/completions $(DESTDIR)$(PREFIX)/share/bash-completion 2>/dev/null
	rm -rf $(DESTDIR)$(PREFIX)/lib/xdpkit $(DESTDIR)$(PREFIX)/share/xdpkit $(DESTDIR)$(PREFIX)/share/doc/xdpkit
	-rmdir $(DESTDIR)$(PREFIX)/share/man/man8 $(DESTDIR)$(PREFIX)/share/man $(DESTDIR)$(PREFIX)/share/doc 2>/dev/null
	-rmdir $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/share $(DESTDIR)$(PREFIX) 2>/dev/null

clean: ## remove build/
	rm -rf $(BUILD)

help: ## this list
	@sed -n 's/^\([a-z-]*\):.*## \(.*\)/  \1\t\2/p' $(MAKEFILE_LIST) | expand -t 14

.PHONY: FORCE fuzz soak test-objs bench-objs bench-traffic all deps deps-auto need-root lint test check bench demo install uninstall clean help build-tools
