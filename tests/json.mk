# SPDX-License-Identifier: MIT
# Extra test builds for tests/t_jsontestsuite.sh (included by the Makefile, added to
# test-build): the conformance program under ASan+UBSan once per string scanner
# (CDREST_JSON_SCAN 2 = SSE2, 1 = 64-bit words, 0 = bytes), so the whole JSONTestSuite
# corpus exercises all three. No TLS needed to check JSON.
JSONCHECK_SAN := $(addprefix $(B)/jsoncheck-asan-scan,2 1 0)
EXTRA_TEST_BUILD += $(JSONCHECK_SAN)

$(B)/jsoncheck-asan-scan%: tests/jsoncheck.c cdrest.h | $(B)
	$(CC) -std=c99 $(WARN) -g -O1 $(SAN) -DCDREST_NO_TLS -DCDREST_JSON_SCAN=$* -I. -o $@ $<
