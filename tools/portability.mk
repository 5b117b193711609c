# SPDX-License-Identifier: MIT
# Owns the embedded and restricted builds' targets. Included by the Makefile.
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

# The CLI as one static binary for CI images and job steps (issue 16): musl libc (musl-gcc,
# Debian's musl-tools) with Debian's own libbearssl.a; tools/musl_fortify.c supplies the
# three glibc _FORTIFY_SOURCE entry points that library calls. `make cli-static` ->
# build/cdrest-static (stripped; its size and peak RSS are in `make bench`'s footprint).
CLI_STATIC_CC ?= musl-gcc
BEARSSL_A ?= $(shell $(CC) -print-file-name=libbearssl.a)
cli-static: $(B)/cdrest-static
.PHONY: cli-static
$(B)/musl-inc: | $(B)
	@mkdir -p $@ && ln -sf /usr/include/bearssl.h $@/bearssl.h && \
	  { [ ! -d /usr/include/bearssl ] || ln -sfn /usr/include/bearssl $@/bearssl; }
$(B)/cdrest-static: examples/cdrest.c cdrest.h tools/musl_fortify.c | $(B)/musl-inc
	@command -v $(CLI_STATIC_CC) >/dev/null || { echo "cli-static: $(CLI_STATIC_CC) is missing (tools/deps.sh bench installs musl-tools)" >&2; exit 1; }
	$(CLI_STATIC_CC) -static -std=c99 $(WARN) -Os -ffunction-sections -fdata-sections -Wl,--gc-sections -s \
	  -I. -isystem $(B)/musl-inc -o $@ examples/cdrest.c tools/musl_fortify.c $(BEARSSL_A)
