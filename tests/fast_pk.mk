# SPDX-License-Identifier: MIT
# Issue 16: the engine test again with -DCDREST_NO_FAST_PK (BearSSL's own public-key code
# only), under ASan+UBSan and for valgrind; tests/run.sh runs every build/*/test_* there.
NOFASTPK_TESTS := $(B)/asan/test_tls_engine_nofastpk $(B)/vg/test_tls_engine_nofastpk
EXTRA_TEST_BUILD += $(NOFASTPK_TESTS)

$(B)/asan/test_tls_engine_nofastpk: tests/test_tls_engine.c cdrest.h tests/test.h | $(B)/asan
	$(CC) -std=c99 -D_DEFAULT_SOURCE -DCDREST_NO_FAST_PK $(WARN) -g -O1 $(SAN) -I. -Itests -o $@ $< $(TLSLIB) -lpthread
$(B)/vg/test_tls_engine_nofastpk: tests/test_tls_engine.c cdrest.h tests/test.h | $(B)/vg
	$(CC) -std=c99 -D_DEFAULT_SOURCE -DCDREST_NO_FAST_PK $(WARN) -g -O1 -I. -Itests -o $@ $< $(TLSLIB) -lpthread
