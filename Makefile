# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# agentprof: make | make test | make demo | make bench | make deps
.DELETE_ON_ERROR:
.SECONDARY:
.SUFFIXES:

OUT       := build
ARCH      := x86
CLANG     ?= clang
BPFTOOL   ?= bpftool
CC        ?= cc
MULTIARCH := $(shell $(CC) -print-multiarch 2>/dev/null)

CFLAGS    ?= -O2 -g
CFLAGS    += -std=gnu11 -Wall -Wextra -Werror -fno-omit-frame-pointer -MMD -MP
CPPFLAGS  += -I$(OUT) -Ibpf -Iuser -D_GNU_SOURCE
LDLIBS    += -lbpf -ldw -lelf -lz -ljansson -lmicrohttpd -lcurl -l:libiberty.a -lm
# make SANITIZE=1 test: ASan and UBSan in everything, built in build-san so no object mixes with build/'s
ifeq ($(SANITIZE),1)
OUT       := build-san
CFLAGS    += -fsanitize=address,undefined -fno-sanitize-recover=undefined
LDFLAGS   += -fsanitize=address,undefined
CPPFLAGS  += -DOUT_DIR='"$(OUT)"'
export AGENTPROF_SPAN_LIB := $(CURDIR)/$(OUT)/libagentprof_span.so
endif
BPF_CFLAGS := -g -O2 -Wall -Werror -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) \
	      -Ivmlinux/$(ARCH) -Ibpf -I/usr/include/$(MULTIARCH)

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

BPF_SRCS  := $(wildcard bpf/*.bpf.c)
BPF_OBJS  := $(patsubst bpf/%.bpf.c,$(OUT)/bpf/%.bpf.o,$(BPF_SRCS))
SKELS     := $(OUT)/agentprof.skel.h
USER_SRCS := $(filter-out user/cmd/main.c,$(wildcard user/*/*.c))
USER_OBJS := $(patsubst %.c,$(OUT)/%.o,$(USER_SRCS))
UNIT_OBJS := $(patsubst %.c,$(OUT)/%.o,$(wildcard tests/unit/*.c))
INTEG_OBJS := $(patsubst %.c,$(OUT)/%.o,$(wildcard tests/integration/*.c))
WORKLOADS := $(patsubst tests/workloads/%.c,$(OUT)/workloads/%,$(wildcard tests/workloads/*.c)) $(OUT)/workloads/tokioagent
DEPFILES  := $(shell find $(OUT) -name '*.d' 2>/dev/null)

.PHONY: all deps deps-test test layers unit integration browser container-check demo bench clean
all: deps $(OUT)/agentprof $(OUT)/demo-agent $(OUT)/flamegraph $(OUT)/libagentprof_span.so

deps:
	@tools/deps.sh

deps-test:
	@tools/deps.sh test

include flamegraph/flamegraph.mk
include tests/fuzz/fuzz.mk

$(OUT)/bpf/%.bpf.o: bpf/%.bpf.c | $(OUT)/bpf
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -MMD -MP -c $< -o $@

# One BPF object, statically linked from one file per hook family: programs share maps.
$(OUT)/agentprof.bpf.o: $(BPF_OBJS)
	$(call msg,BPF-LINK,$@)
	$(Q)$(BPFTOOL) gen object $@ $^

$(OUT)/agentprof.skel.h: $(OUT)/agentprof.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name agentprof_bpf > $@

# Objects of user/ and tests/ may include any skeleton.
$(OUT)/%.o: %.c | $(SKELS)
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(CPPFLAGS) -c $< -o $@

# pyoffsets' table is checked against CPython 3.11's own headers, internal ones included
PY311_INC := /usr/include/python3.11
$(OUT)/tests/unit/test_pyoffsets.o: CPPFLAGS += -isystem $(PY311_INC) -isystem $(PY311_INC)/internal

$(OUT)/libagentprof.a: $(USER_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

# record writes flame graphs: libagentprof.a stands above libflamegraph.a, which needs nothing of it.
AP_LIBS := $(OUT)/libagentprof.a $(OUT)/libflamegraph.a
$(OUT)/agentprof: $(OUT)/user/cmd/main.o $(OUT)/libflamegraph.a $(OUT)/libagentprof.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $< $(AP_LIBS) $(LDLIBS) -o $@

$(OUT)/test-unit: $(UNIT_OBJS) $(OUT)/libflamegraph.a $(OUT)/libagentprof.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $(UNIT_OBJS) $(AP_LIBS) $(LDLIBS) -lcriterion -o $@

$(OUT)/test-integration: $(INTEG_OBJS) $(OUT)/libflamegraph.a $(OUT)/libagentprof.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $(INTEG_OBJS) $(AP_LIBS) $(LDLIBS) -lcriterion -o $@

# Test workloads and the demo keep frame pointers so that FP unwinding sees their callers.
WORKLOAD_CFLAGS := -std=gnu11 -D_GNU_SOURCE -O2 -g -fno-omit-frame-pointer -mno-omit-leaf-frame-pointer -pthread \
		   -Wall -Wextra -Werror
$(OUT)/workloads/%: tests/workloads/%.c
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(WORKLOAD_CFLAGS) $< -o $@

# Those built the way Debian builds its libraries: only DWARF unwinding sees their callers.
$(OUT)/workloads/nofp_%: tests/workloads/nofp_%.c
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(filter-out -fno-omit-frame-pointer -mno-omit-leaf-frame-pointer,$(WORKLOAD_CFLAGS)) \
		-fomit-frame-pointer $< -o $@

# The tokio agent (Rust): Debian's cargo and rustc, offline, from Debian's crates only (its
# .cargo/config.toml points crates-io at /usr/share/cargo/registry); a CARGO_HOME of its own, so
# that no ~/.cargo or rustup toolchain of the machine takes part. ~6 min from clean on 2 vCPUs.
TOKIO_SRCS := $(wildcard tests/workloads/tokioagent/src/*.rs) tests/workloads/tokioagent/Cargo.toml \
	      tests/workloads/tokioagent/.cargo/config.toml
$(OUT)/workloads/tokioagent: $(TOKIO_SRCS)
	@mkdir -p $(@D)
	$(call msg,CARGO,$@)
	$(Q)cd tests/workloads/tokioagent && CARGO_HOME=$(CURDIR)/$(OUT)/cargo-home RUSTC=/usr/bin/rustc \
		/usr/bin/cargo build $(if $(Q),-q) --release --offline --target-dir $(CURDIR)/$(OUT)/cargo
	$(Q)cp $(OUT)/cargo/release/tokioagent $@

# The span SDK: its functions are USDT probes, nops until agentprof attaches.
$(OUT)/libagentprof_span.so: sdk/agentprof_span.c sdk/agentprof_span.h
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) -std=gnu11 -O2 -g -Wall -Wextra -Werror -fPIC -shared -fvisibility=hidden -Isdk $< -o $@

# Workloads that mark spans link the SDK, found next to them at run time.
SPAN_LINK := -Isdk -L$(OUT) -lagentprof_span -Wl,-rpath,'$$ORIGIN' -Wl,-rpath,'$$ORIGIN/..'
$(OUT)/workloads/spans $(OUT)/workloads/benchwork $(OUT)/workloads/diffwork $(OUT)/workloads/memgrow: $(OUT)/workloads/%: tests/workloads/%.c \
							 $(OUT)/libagentprof_span.so
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(WORKLOAD_CFLAGS) $< $(SPAN_LINK) -o $@

$(OUT)/demo-agent: tools/demo/demo_agent.c user/base/util.c user/base/vec.c $(OUT)/libagentprof_span.so
	$(call msg,CC,$@)
	$(Q)$(CC) $(WORKLOAD_CFLAGS) -Iuser tools/demo/demo_agent.c user/base/util.c user/base/vec.c $(SPAN_LINK) -o $@

$(OUT)/bpf:
	@mkdir -p $@

unit: deps deps-test $(OUT)/test-unit
	$(OUT)/test-unit

integration: deps deps-test $(OUT)/agentprof $(OUT)/test-integration $(WORKLOADS)
	$(OUT)/test-integration --jobs 1 --verbose

# The browser test drives the flame graph SVG in headless Chromium (Debian chromium, a test dependency).
browser: deps deps-test $(OUT)/flamegraph
	/usr/bin/python3 flamegraph/tests/browser-test.py --flamegraph $(OUT)/flamegraph

# What can be checked of the image and the DaemonSet without Docker (tools/container/check.sh).
container-check: deps deps-test $(OUT)/agentprof
	tools/container/check.sh $(OUT)/agentprof

# Includes run only down user/'s stages; flamegraph/ and bpf/ include nothing of user/.
layers:
	@/usr/bin/python3 tools/check-layers.py

test: deps deps-test
	@$(MAKE) --no-print-directory layers unit integration browser container-check fuzz-smoke

demo: all
	@tools/demo/run.sh

# Symbolization speed, for the bench: links the program's own symbolizer.
$(OUT)/symbench: $(OUT)/tools/bench/symbench.o $(OUT)/libflamegraph.a $(OUT)/libagentprof.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $< $(AP_LIBS) $(LDLIBS) -o $@

# The peers it compares with (perf, bpftrace, libbpf-tools) are installed when they can be; each
# row of a missing one is skipped. BENCH_ONLY=section,... runs some sections (see bench.py).
bench: all $(WORKLOADS) $(OUT)/symbench
	@tools/deps.sh bench || echo "bench: could not install the peers; their rows are skipped"
	@/usr/bin/python3 tools/bench/bench.py

clean:
	rm -rf $(OUT)

-include $(DEPFILES)
