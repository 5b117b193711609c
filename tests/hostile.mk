# SPDX-License-Identifier: MIT
# Robustness (issue 7), included by the Makefile after fuzz/fuzz.mk:
#   make test      runs tests/test_hostile.c, test_faults.c and test_load.c (scaled down:
#                  8x300 requests, 4x50 under valgrind) with every other test program
#   make tsan      builds tests/test_load.c with -fsanitize=thread and runs it at full size
#                  (8 threads x 5000 requests against the emulator closing connections at random)
#   make fuzz      also runs the HTTP-side fuzzers below for FUZZ_SECONDS each (fuzz/fuzz.mk)
#   make fuzz-ci   every fuzzer for 30 s
# The fuzzers' seeds are written into build/ by fuzz/mkseeds.py (from tests/hostile.py's
# scenarios, the responses in tests/fixtures/http and tests/fixtures/json) when a fuzz run starts.

FUZZERS += http chunked url cderror
HOSTILE_SEEDS := $(B)/fuzz/seeds
FUZZ_SEEDS_http := $(HOSTILE_SEEDS)/http
FUZZ_SEEDS_chunked := $(HOSTILE_SEEDS)/chunked
FUZZ_SEEDS_url := $(HOSTILE_SEEDS)/url
FUZZ_SEEDS_cderror := $(HOSTILE_SEEDS)/cderror

$(HOSTILE_SEEDS)/.done: fuzz/mkseeds.py tests/hostile.py $(wildcard tests/fixtures/json/* tests/fixtures/http/*)
	@mkdir -p $(HOSTILE_SEEDS)
	$(PYTHON) fuzz/mkseeds.py $(HOSTILE_SEEDS)
	@touch $@

# The seeds exist before fuzz/fuzz.mk's recipe copies them into the corpora.
fuzz: $(HOSTILE_SEEDS)/.done

fuzz-ci:
	@$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=30

TSAN_B := $(B)/tsan
$(TSAN_B)/test_load: tests/test_load.c cdrest.h tests/test.h
	@mkdir -p $(TSAN_B)
	$(CC) -std=c99 -D_DEFAULT_SOURCE $(WARN) -g -O1 -fsanitize=thread -I. -Itests -o $@ $< $(TLSLIB) -lpthread

tsan: $(TSAN_B)/test_load
	CDREST_TESTS=$(CURDIR)/tests TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 $(TSAN_B)/test_load 8x5000

.PHONY: fuzz-ci
