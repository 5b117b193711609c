# SPDX-License-Identifier: MIT
# Embedded and restricted builds (issue 9). Included by the Makefile.
#   make portability   the build matrix: gcc/clang, C99/C11, C++11/17, -m32, musl static,
#                      ARM under qemu, no TLS, -Os with --gc-sections, Thumb-2 restricted
#                      (tools/portability.sh; its packages come from tools/deps.sh portability)
#   make footprint     code size and RAM, measured; rewrites README.md's footprint block
#   make build/mkanchors build/static_client build/custom_transport
#                      the trust-anchor tool and the two embedded examples
.PHONY: footprint

portability:
	@tools/deps.sh portability
	@sh tools/portability.sh

footprint:
	@sh tools/footprint.sh

$(B)/mkanchors: tools/mkanchors.c | $(B)
	$(CC) -std=c99 $(WARN) $(CFLAGS) -o $@ $< $(TLSLIB)
$(B)/static_client: examples/static_client.c cdrest.h | $(B)
	$(CC) -std=c99 $(WARN) $(CFLAGS) -I. -o $@ $< $(TLSLIB)
$(B)/custom_transport: examples/custom_transport.c cdrest.h | $(B)
	$(CC) -std=c99 $(WARN) $(CFLAGS) -I. -o $@ $< $(TLSLIB)
