# SPDX-License-Identifier: MIT
# The X25519 differential fuzzer (issue 16; fuzz/fuzz_x25519.c), in `make fuzz` and
# `make fuzz-ci`. Unlike the other targets it needs TLS: built without -DCDREST_NO_TLS and
# linked with BearSSL (this explicit rule wins over fuzz/fuzz.mk's pattern rule). Seeds:
# RFC 7748's vectors, written by the rule below.
FUZZERS += x25519
FUZZ_SEEDS_x25519 := $(FUZZ_B)/seeds/x25519
FUZZ_TLS_FLAGS = $(filter-out -DCDREST_NO_TLS,$(FUZZ_FLAGS))

$(FUZZ_B)/fuzz_x25519: fuzz/fuzz_x25519.c cdrest.h | fuzz-deps
	@mkdir -p $(FUZZ_B)
	$(FUZZ_CC) $(FUZZ_TLS_FLAGS) -I. -o $@ $< $(TLSLIB)

# [mode][u][scalar]: the two section 5.2 vectors (mode 4: mulgen too), a short scalar and
# a point refused for its length.
$(FUZZ_B)/seeds/x25519/.done: fuzz/x25519.mk
	@mkdir -p $(FUZZ_B)/seeds/x25519
	@$(PYTHON) -c 'import sys, binascii; d = sys.argv[1]; \
	  v = [("04", "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c", "a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4"), \
	       ("00", "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493", "4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d"), \
	       ("04", "0900000000000000000000000000000000000000000000000000000000000000", "0102"), \
	       ("01", "0100000000000000000000000000000000000000000000000000000000000000", "ff" * 33)]; \
	  [open("%s/rfc%d" % (d, i), "wb").write(binascii.unhexlify("".join(t))) for i, t in enumerate(v)]' $(FUZZ_B)/seeds/x25519
	@touch $@

fuzz: $(FUZZ_B)/seeds/x25519/.done
