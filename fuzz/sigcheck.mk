# SPDX-License-Identifier: MIT
# The signature-check differential fuzzer (fuzz/fuzz_sigcheck.c), in `make fuzz`
# and `make fuzz-ci`. It needs BearSSL: built with fuzz/x25519.mk's FUZZ_TLS_FLAGS (no
# -DCDREST_NO_TLS) and linked with it. Seeds: one input per mode (mode 0 with nothing to
# XOR is the valid signature itself).
FUZZERS += sigcheck
FUZZ_SEEDS_sigcheck := $(FUZZ_B)/seeds/sigcheck

$(FUZZ_B)/fuzz_sigcheck: fuzz/fuzz_sigcheck.c fuzz/fuzz.h cdrest.h | fuzz-deps
	@mkdir -p $(FUZZ_B)
	$(FUZZ_CC) $(FUZZ_TLS_FLAGS) -I. -o $@ $< $(TLSLIB)

$(FUZZ_B)/seeds/sigcheck/.done: fuzz/sigcheck.mk
	@mkdir -p $(@D)
	@for m in 0 1 2 3 4 5; do printf "\\$$(printf %o $$m)" > $(@D)/mode$$m; \
	    head -c 160 /dev/zero >> $(@D)/mode$$m; done
	@touch $@

fuzz: $(FUZZ_B)/seeds/sigcheck/.done
