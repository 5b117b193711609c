# SPDX-License-Identifier: MIT
# libFuzzer targets (included by the Makefile). `make fuzz [FUZZ_SECONDS=60]` builds every
# target named in FUZZERS and runs each for FUZZ_SECONDS on its corpus directory
# build/fuzz/corpus/NAME, first seeded from FUZZ_SEEDS_NAME (files or directories; read
# in place, copied only into build/). Crash inputs land in build/fuzz/ too.
# To add a target: write fuzz/fuzz_NAME.c (LLVMFuzzerTestOneInput), then (here or in
# any other included fragment)
#     FUZZERS += NAME
#     FUZZ_SEEDS_NAME := some/dir other/file
# `make build/fuzz/fuzz_NAME` builds one; `make fuzz FUZZERS=json` runs only that one.
# Needs clang and libclang-rt-14-dev (tools/deps.sh fuzz).

FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_B       := $(B)/fuzz
FUZZ_FLAGS   ?= -std=c99 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
                -fno-omit-frame-pointer -DCDREST_NO_TLS

FUZZERS += json
FUZZ_SEEDS_json := tests/data/JSONTestSuite/test_parsing tests/fixtures/json

fuzz-deps:
	@tools/deps.sh fuzz
.PHONY: fuzz-deps

$(FUZZ_B)/fuzz_%: fuzz/fuzz_%.c fuzz/fuzz.h cdrest.h | fuzz-deps
	@mkdir -p $(FUZZ_B)
	$(FUZZ_CC) $(FUZZ_FLAGS) -I. -o $@ $<

# One target's run: seed its corpus (without overwriting what earlier runs found), fuzz.
define fuzz_run
	@mkdir -p $(FUZZ_B)/corpus/$(1)
	@for s in $(FUZZ_SEEDS_$(1)); do \
	    if [ -d "$$s" ]; then cp -n "$$s"/* $(FUZZ_B)/corpus/$(1)/ 2>/dev/null || true; \
	    elif [ -f "$$s" ]; then cp -n "$$s" $(FUZZ_B)/corpus/$(1)/; \
	    else echo "fuzz: seed $$s not found (skipped)"; fi; \
	done
	$(FUZZ_B)/fuzz_$(1) -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	    -artifact_prefix=$(FUZZ_B)/crash-$(1)- $(FUZZ_B)/corpus/$(1)

endef

# FUZZERS is read when the recipe runs, after every fragment has added its names
# (a prerequisite list would be fixed where this file happens to be included).
fuzz:
	@$(MAKE) --no-print-directory $(addprefix $(FUZZ_B)/fuzz_,$(FUZZERS))
	$(foreach f,$(FUZZERS),$(call fuzz_run,$(f)))
