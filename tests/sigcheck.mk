# SPDX-License-Identifier: MIT
# The fast signature checks (issue 16), included by the Makefile:
# - tests/test_tls_engine.c once more with -DCDREST_NO_FAST_PK (the engine must then use
#   BearSSL's own checks), under both ASan+UBSan and valgrind (tests/run.sh runs every
#   build/asan/test_* and build/vg/test_*);
# - the differential fuzzer fuzz/fuzz_sigcheck.c (in `make fuzz` and `make fuzz-ci`): it
#   needs BearSSL, so it is built without fuzz.mk's -DCDREST_NO_TLS.

$(B)/asan/test_tls_engine_nofastpk: tests/test_tls_engine.c cdrest.h tests/test.h | $(B)/asan
	$(CC) -std=c99 -D_DEFAULT_SOURCE $(WARN) -g -O1 $(SAN) -DCDREST_NO_FAST_PK -I. -Itests -o $@ $< $(TLSLIB) -lpthread
$(B)/vg/test_tls_engine_nofastpk: tests/test_tls_engine.c cdrest.h tests/test.h | $(B)/vg
	$(CC) -std=c99 -D_DEFAULT_SOURCE $(WARN) -g -O1 -DCDREST_NO_FAST_PK -I. -Itests -o $@ $< $(TLSLIB) -lpthread
EXTRA_TEST_BUILD += $(B)/asan/test_tls_engine_nofastpk $(B)/vg/test_tls_engine_nofastpk

FUZZERS += sigcheck
FUZZ_SEEDS_sigcheck := $(FUZZ_B)/seeds-sigcheck
$(FUZZ_B)/fuzz_sigcheck: fuzz/fuzz_sigcheck.c cdrest.h | fuzz-deps
	@mkdir -p $(FUZZ_B)
	$(FUZZ_CC) $(filter-out -DCDREST_NO_TLS,$(FUZZ_FLAGS)) -I. -o $@ $< $(TLSLIB)
# Seeds: one input per mode (mode 0 with nothing to XOR is the valid signature itself).
$(FUZZ_B)/seeds-sigcheck/.done:
	@mkdir -p $(@D)
	@for m in 0 1 2 3 4 5; do printf "\\$$(printf %o $$m)" > $(@D)/mode$$m; \
	    head -c 160 /dev/zero >> $(@D)/mode$$m; done
	@touch $@
fuzz: $(FUZZ_B)/seeds-sigcheck/.done
