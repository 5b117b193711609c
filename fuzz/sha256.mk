# SPDX-License-Identifier: MIT
# The SHA-256 differential fuzzer (fuzz/fuzz_sha256.c), in `make fuzz` and `make fuzz-ci`.
# It needs BearSSL: built with fuzz/x25519.mk's FUZZ_TLS_FLAGS (no -DCDREST_NO_TLS) and
# linked with it. Seeds: FIPS 180-4's "abc" and 896-bit messages, a run of 200 'a', and
# with seed bit 7 the PRF too.
FUZZERS += sha256
FUZZ_SEEDS_sha256 := $(FUZZ_B)/seeds/sha256

$(FUZZ_B)/fuzz_sha256: fuzz/fuzz_sha256.c fuzz/fuzz.h cdrest.h | fuzz-deps
	@mkdir -p $(FUZZ_B)
	$(FUZZ_CC) $(FUZZ_TLS_FLAGS) -I. -o $@ $< $(TLSLIB)

$(FUZZ_B)/seeds/sha256/.done: fuzz/sha256.mk
	@mkdir -p $(@D)
	@printf '\001abc' > $(@D)/abc
	@printf '\002abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu' > $(@D)/fips896
	@{ printf '\203'; head -c 200 /dev/zero | tr '\0' a; } > $(@D)/prf200
	@touch $@

fuzz: $(FUZZ_B)/seeds/sha256/.done
