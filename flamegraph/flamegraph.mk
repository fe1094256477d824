# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The flame graph library and CLI, included by the top-level Makefile (which defines OUT, CC,
# CFLAGS, CPPFLAGS, Q and msg).
#   FLAMEGRAPH_LIB_OBJS     objects of $(OUT)/libflamegraph.a
#   $(OUT)/flamegraph       the CLI
#   $(OUT)/test-flamegraph  the flame graph unit tests alone (they are in $(OUT)/test-unit too)
#   flamegraph-check        those, the model comparison and the browser test (needs chromium)
# Include it below the `all:` rule: its first explicit target must not become the default goal.
# Objects go to $(OUT)/flamegraph-lib/, not $(OUT)/flamegraph/: that path is the CLI binary.

CPPFLAGS += -Iflamegraph

FG_OBJDIR := $(OUT)/flamegraph-lib
FLAMEGRAPH_LIB_SRCS := $(filter-out flamegraph/main.c,$(wildcard flamegraph/*.c))
FLAMEGRAPH_LIB_OBJS := $(patsubst flamegraph/%.c,$(FG_OBJDIR)/%.o,$(FLAMEGRAPH_LIB_SRCS)) \
		       $(FG_OBJDIR)/js.o
FLAMEGRAPH_TEST_OBJS := $(patsubst %.c,$(OUT)/%.o,$(wildcard tests/unit/test_flamegraph*.c)) \
			$(OUT)/tests/unit/helpers.o

$(FG_OBJDIR)/%.o: flamegraph/%.c
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -D_GNU_SOURCE -Iflamegraph -c $< -o $@

# .incbin reads flamegraph.js when assembling: -I tells as where, the prerequisite when.
$(FG_OBJDIR)/js.o: flamegraph/js.S flamegraph/flamegraph.js
	@mkdir -p $(@D)
	$(call msg,AS,$@)
	$(Q)$(CC) -c -Wa,-Iflamegraph $< -o $@

$(OUT)/libflamegraph.a: $(FLAMEGRAPH_LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

# The library and its CLI stand alone: nothing of agentprof's user/ is compiled in.
$(OUT)/flamegraph: $(FG_OBJDIR)/main.o $(OUT)/libflamegraph.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ -o $@

$(OUT)/test-flamegraph: $(FLAMEGRAPH_TEST_OBJS) $(OUT)/libflamegraph.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ -lcriterion -o $@

.PHONY: flamegraph-check
flamegraph-check: $(OUT)/flamegraph $(OUT)/test-flamegraph
	$(OUT)/test-flamegraph
	python3 flamegraph/tests/compare-model.py --flamegraph $(OUT)/flamegraph
	python3 flamegraph/tests/browser-test.py --flamegraph $(OUT)/flamegraph
