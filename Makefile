# SPDX-License-Identifier: GPL-2.0
#
# utrace-rs top-level Makefile. The two commands a newcomer needs:
#
#   make demo    build everything (host set-up included), boot the guest, load utrace, show it
#   make check   the whole test suite; ends with "N passed, N failed"
#
# Building against your own Rust-enabled kernel tree: make KDIR=/path/to/built/tree modules
# (the tree must have been built, so that rust/*.rmeta exists, with the same rustc).

ROOT := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
# LLVM toolchain suffix; the test kernel is built with clang-19.
LLVM ?= -19

.PHONY: all setup kernel modules tests utrace-strace check harm stress race-loop demo bench clippy fmt fmt-check clean help

all: modules

help:
	@sed -n '3,10p' $(ROOT)/Makefile

setup:
	$(ROOT)/scripts/setup-host

kernel: setup
	$(ROOT)/scripts/build-kernel

# KDIR defaults to the cached test kernel, built on demand.
modules:
	KDIR='$(KDIR)' LLVM='$(LLVM)' $(ROOT)/scripts/build-modules $(if $(CLIPPY),CLIPPY=1)

tests:
	KDIR='$(KDIR)' $(ROOT)/scripts/build-tests

# The command alone (scripts/build-tests builds it too, into out/tests for the guest).
utrace-strace:
	$(ROOT)/scripts/build-utrace-strace

check: setup
	KDIR='$(KDIR)' LLVM='$(LLVM)' $(ROOT)/scripts/run-tests

# The do-no-harm comparison with every selftest (make check runs tests/harm/quick.list).
harm: setup
	KDIR='$(KDIR)' LLVM='$(LLVM)' $(ROOT)/scripts/build-modules
	KDIR='$(KDIR)' $(ROOT)/scripts/build-tests
	KDIR='$(KDIR)' $(ROOT)/scripts/run-harm $(ROOT)/tests/harm/full.list

# The randomized stress run until 1e6 operations (UTRACE_STRESS_OPS; UTRACE_STRESS_SECS caps it).
stress: setup
	KDIR='$(KDIR)' LLVM='$(LLVM)' $(ROOT)/scripts/stress

# The race tests again and again under load, UTRACE_RACE_SECS (default 900).
race-loop: setup
	KDIR='$(KDIR)' LLVM='$(LLVM)' $(ROOT)/scripts/race-loop

demo: setup
	KDIR='$(KDIR)' LLVM='$(LLVM)' $(ROOT)/scripts/demo

# Timings (ratios within one guest boot), not tests.
bench: setup
	KDIR='$(KDIR)' LLVM='$(LLVM)' $(ROOT)/scripts/bench

# Clippy with the kernel's lint set; any warning fails the target.
clippy:
	mkdir -p $(ROOT)/out
	touch $(ROOT)/rust/utrace_main.rs $(ROOT)/engines/*.rs
	KDIR='$(KDIR)' LLVM='$(LLVM)' $(ROOT)/scripts/build-modules CLIPPY=1 2>&1 | tee $(ROOT)/out/clippy.log
	@! grep -q '^warning\|^error' $(ROOT)/out/clippy.log || { echo "clippy: warnings above"; exit 1; }

RUST_SOURCES = $(wildcard $(ROOT)/rust/*.rs $(ROOT)/engines/*.rs $(ROOT)/include/rust/*.rs)

fmt:
	rustfmt --config-path $(ROOT)/.rustfmt.toml $(RUST_SOURCES)

fmt-check:
	rustfmt --config-path $(ROOT)/.rustfmt.toml --check $(RUST_SOURCES)

clean:
	rm -rf $(ROOT)/out
	find $(ROOT)/rust -name '*.o' -o -name '*.cmd' -o -name '*.d' -o -name '*.rmeta' | xargs rm -f
