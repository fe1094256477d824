# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# libFuzzer harnesses of the parsers of untrusted input, included by the top-level Makefile (which
# defines OUT, Q, msg and FLAMEGRAPH_LIB_SRCS).
#   make fuzz         each harness for FUZZ_SECONDS (60); what it finds is kept in $(FUZZ_DIR)/work/
#   make fuzz-smoke   each harness over its seeds, then FUZZ_SMOKE_SECONDS (10) of mutation: make test
# The parsers are compiled again, by clang with the fuzzer's coverage and ASan + UBSan, into
# $(FUZZ_DIR): those objects never mix with the normal build's. Seeds: tests/fuzz/corpus/<target>/,
# written by tests/fuzz/gen-corpus.py.

FUZZ_CC       ?= clang
FUZZ_DIR      := $(OUT)/fuzz
FUZZ_SECONDS  ?= 60
FUZZ_SMOKE_SECONDS ?= 10
FUZZ_SAN      := -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS   := -std=gnu11 -g -O1 -fno-omit-frame-pointer -Wall -Wextra -Werror -MMD -MP \
		 -fsanitize=fuzzer-no-link $(FUZZ_SAN)
FUZZ_CPPFLAGS := -Ibpf -Iuser -Iflamegraph -D_GNU_SOURCE
FUZZ_TARGETS  := elfsyms procmaps ksyms perfmap flamegraph text pyobj genai
FUZZ_BINS     := $(patsubst %,$(FUZZ_DIR)/fuzz_%,$(FUZZ_TARGETS))
# the parsers and what they call: neither libbpf nor the skeleton
FUZZ_LIB_OBJS := $(patsubst %.c,$(FUZZ_DIR)/%.o,user/symbols/elfsyms.c user/target/elffile.c \
		 user/target/procmaps.c user/target/procfs.c user/symbols/ksyms.c user/symbols/perfmap.c \
		 user/base/text.c user/base/util.c user/report/folded.c user/python/pyobj.c user/base/vec.c \
		 user/model/spans.c user/classify/llm.c user/classify/peer.c user/classify/classify.c user/report/spans_read.c \
		 user/base/log.c $(FLAMEGRAPH_LIB_SRCS)) \
		 $(FUZZ_DIR)/flamegraph/js.o

$(FUZZ_DIR)/%.o: %.c
	@mkdir -p $(@D)
	$(call msg,FUZZ-CC,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_CPPFLAGS) -c $< -o $@

$(FUZZ_DIR)/flamegraph/js.o: flamegraph/js.S flamegraph/flamegraph.js
	@mkdir -p $(@D)
	$(call msg,AS,$@)
	$(Q)$(FUZZ_CC) -c -Wa,-Iflamegraph $< -o $@

$(FUZZ_DIR)/libfuzzed.a: $(FUZZ_LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(FUZZ_DIR)/fuzz_%: $(FUZZ_DIR)/tests/fuzz/fuzz_%.o $(FUZZ_DIR)/libfuzzed.a
	$(call msg,LINK,$@)
	$(Q)$(FUZZ_CC) -fsanitize=fuzzer $(FUZZ_SAN) $^ -lelf -lz -ljansson -o $@

.PHONY: fuzz fuzz-smoke
fuzz: deps deps-test $(FUZZ_BINS)
	$(Q)for t in $(FUZZ_TARGETS); do \
		tests/fuzz/run.sh $(FUZZ_DIR)/fuzz_$$t tests/fuzz/corpus/$$t $(FUZZ_DIR)/work/$$t \
			$(FUZZ_SECONDS) || exit 1; done

fuzz-smoke: deps deps-test $(FUZZ_BINS)
	$(Q)for t in $(FUZZ_TARGETS); do rm -rf $(FUZZ_DIR)/smoke/$$t && \
		tests/fuzz/run.sh $(FUZZ_DIR)/fuzz_$$t tests/fuzz/corpus/$$t $(FUZZ_DIR)/smoke/$$t \
			$(FUZZ_SMOKE_SECONDS) || exit 1; done
