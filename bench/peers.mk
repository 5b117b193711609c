# SPDX-License-Identifier: MIT
# Owns the peer benchmarks: `make bench` (included by the Makefile) measures
# cdrest against libcurl (easy handle reused) and Python requests.Session over nginx and the
# CD emulator, all pinned to one CPU on 127.0.0.1: keep-alive GETs (HTTP, HTTPS), fresh
# connections (full handshakes and resumed sessions; RSA-2048 and ECDSA P-256), a 1 MiB
# body, getProperty+setProperty pairs, the TCP floor (bench/echo.c), instructions per request
# (callgrind), heap, RSS and code size; it runs `make bench-json` too. Writes bench/results.md
# and bench/results.svg, prints the table and ends with the "ratio ..." / "figure ..." / "bound ..."
# lines (bound: the most any client could reach in a row, from the client/server time split).
# About 4-5 minutes on a 2-vCPU machine. Needs: tools/deps.sh bench (as root it installs).
# BENCH_ROUNDS=n (default 7), BENCH_QUICK=1 (smoke test), BENCH_SKIP_JSON=1: see bench/run.py.

PEERS_B := $(B)/bench/peers
PEERS_BINS := $(addprefix $(PEERS_B)/,cdrest_client cdrest_client_static curl_client echo cdrest-Os.o \
                cdrest-Os-notls.o cdrest_client_os_static rss gcm_speed) $(B)/cdrest $(B)/cdrest-static

$(PEERS_B):
	@mkdir -p $@

bench-peers-deps:
	@tools/deps.sh bench
.PHONY: bench-peers-deps

# The clients at -O2 (-g only names lines in the callgrind listings; it changes no code).
$(PEERS_B)/cdrest_client: bench/cdrest_client.c bench/common.h cdrest.h | $(PEERS_B) bench-peers-deps
	$(CC) -std=c99 $(WARN) -O2 -g -I. -o $@ $< $(TLSLIB)
# The same with BearSSL linked statically, for callgrind: Debian's libbearssl.so is stripped
# of its static functions' names (the handshake's field arithmetic), libbearssl.a is not.
$(PEERS_B)/cdrest_client_static: bench/cdrest_client.c bench/common.h cdrest.h | $(PEERS_B) bench-peers-deps
	$(CC) -std=c99 $(WARN) -O2 -g -I. -o $@ $< -Wl,-Bstatic -lbearssl -Wl,-Bdynamic
$(PEERS_B)/curl_client: bench/curl_client.c bench/common.h | $(PEERS_B) bench-peers-deps
	$(CC) -std=c99 $(WARN) -O2 -g -o $@ $< -lcurl -lcrypto
$(PEERS_B)/echo: bench/echo.c | $(PEERS_B)
	$(CC) -std=c99 $(WARN) -O2 -o $@ $<
# BearSSL's AES-128-GCM decryption speed, beside `openssl speed` (the 1 MiB HTTPS row's cipher cost).
$(PEERS_B)/gcm_speed: bench/gcm_speed.c | $(PEERS_B) bench-peers-deps
	$(CC) -std=c99 $(WARN) -O2 -o $@ $< -lbearssl
# Peak RSS of the CLI (which cannot report its own): a small static launcher, since a
# child's ru_maxrss includes the launcher pages it had before exec (musl keeps that ~0).
$(PEERS_B)/rss: bench/rss.c | $(PEERS_B) bench-peers-deps
	$(CLI_STATIC_CC) -static -std=c99 $(WARN) -Os -o $@ $<
# Footprint: the whole library at -Os (every public function is extern, so all of it is
# kept), with and without TLS, and a complete -Os client with BearSSL linked statically.
$(PEERS_B)/cdrest-Os.c: | $(PEERS_B)
	@printf '#define CDREST_IMPLEMENTATION\n#include "cdrest.h"\n' > $@
$(PEERS_B)/cdrest-Os.o: $(PEERS_B)/cdrest-Os.c cdrest.h
	$(CC) -std=c99 $(WARN) -Os -I. -c -o $@ $<
$(PEERS_B)/cdrest-Os-notls.o: $(PEERS_B)/cdrest-Os.c cdrest.h
	$(CC) -std=c99 $(WARN) -Os -DCDREST_NO_TLS -I. -c -o $@ $<
$(PEERS_B)/cdrest_client_os_static: bench/cdrest_client.c bench/common.h cdrest.h | $(PEERS_B) bench-peers-deps
	$(CC) -std=c99 $(WARN) -Os -I. -o $@ $< -Wl,-Bstatic -lbearssl -Wl,-Bdynamic

bench: bench-peers-deps $(PEERS_BINS)
	@MAKE='$(MAKE)' $(PYTHON) bench/run.py
