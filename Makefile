# SPDX-License-Identifier: MIT
# cdrest - build, test, demo. `make test` and `make demo` check (or, as root, install)
# their prerequisites through tools/deps.sh first.
CC      ?= cc
CXX     ?= c++
PYTHON  ?= python3
B       := build
WARN    := -Wall -Wextra -Wpedantic -Werror
CFLAGS  ?= -O2 -g
TLSLIB  := -lbearssl
TESTS   := $(patsubst tests/%.c,%,$(wildcard tests/test_*.c))
SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

.DEFAULT_GOAL := all
# Fragments owned by their folders (fuzzers, benchmarks, portability, extra test
# builds); they may add to EXTRA_TEST_BUILD.
-include $(sort $(wildcard */*.mk))

.PHONY: all deps test test-build header-check demo emulator clean fuzz bench bench-json tsan portability install

all: $(B)/jsoncheck $(B)/cdrest $(B)/quickstart

deps:
	@tools/deps.sh test

# The build directories (each its own target: build/ may exist already without them).
$(B) $(B)/asan $(B)/vg $(B)/hdr:
	@mkdir -p $@

# The conformance program for JSONTestSuite (exit 0 valid, 1 invalid).
$(B)/jsoncheck: tests/jsoncheck.c cdrest.h | $(B)
	$(CC) -std=c99 $(WARN) $(CFLAGS) -I. -o $@ $< $(TLSLIB)

# The command-line tool and the examples.
$(B)/cdrest: examples/cdrest.c cdrest.h | $(B)
	$(CC) -std=c99 $(WARN) $(CFLAGS) -I. -o $@ $< $(TLSLIB)
$(B)/quickstart: examples/quickstart.c cdrest.h | $(B)
	$(CC) -std=c99 $(WARN) $(CFLAGS) -I. -o $@ $< $(TLSLIB)
# The CLI built with ASan+UBSan, for the CLI tests.
$(B)/asan/cdrest: examples/cdrest.c cdrest.h | $(B)/asan
	$(CC) -std=c99 $(WARN) -g -O1 $(SAN) -I. -o $@ $< $(TLSLIB)

# Each test program twice: with ASan+UBSan, and plain for valgrind.
$(B)/asan/%: tests/%.c cdrest.h tests/test.h | $(B)/asan
	$(CC) -std=c99 -D_DEFAULT_SOURCE $(WARN) -g -O1 $(SAN) -I. -Itests -o $@ $< $(TLSLIB) -lpthread
$(B)/vg/%: tests/%.c cdrest.h tests/test.h | $(B)/vg
	$(CC) -std=c99 -D_DEFAULT_SOURCE $(WARN) -g -O1 -I. -Itests -o $@ $< $(TLSLIB) -lpthread

test-build: $(addprefix $(B)/asan/,$(TESTS)) $(addprefix $(B)/vg/,$(TESTS)) $(B)/jsoncheck $(EXTRA_TEST_BUILD)

# The header alone, in every supported mode: C99/C11 with gcc and clang, C++, no TLS.
header-check: | $(B)/hdr
	@printf '#define CDREST_IMPLEMENTATION\n#include "cdrest.h"\nint main(void){return 0;}\n' > $(B)/hdr/one.c
	@cp $(B)/hdr/one.c $(B)/hdr/one.cpp
	gcc   -std=c99 $(WARN) -O2 -I. -c $(B)/hdr/one.c -o $(B)/hdr/gcc99.o
	gcc   -std=c99 $(WARN) -O3 -I. -c $(B)/hdr/one.c -o $(B)/hdr/gcc99o3.o
	clang -std=c99 $(WARN) -O3 -I. -c $(B)/hdr/one.c -o $(B)/hdr/clang99o3.o
	gcc   -std=c11 $(WARN) -I. -DCDREST_NO_TLS -c $(B)/hdr/one.c -o $(B)/hdr/gcc11.o
	clang -std=c99 $(WARN) -O2 -I. -c $(B)/hdr/one.c -o $(B)/hdr/clang99.o
	clang -std=c99 $(WARN) -I. -DCDREST_NO_TLS -c $(B)/hdr/one.c -o $(B)/hdr/clang99n.o
	gcc   -std=c99 $(WARN) -O2 -I. -DCDREST_NO_EXTRAS -DCDREST_NO_MALLOC -DCDREST_TERSE_ERRORS -c $(B)/hdr/one.c -o $(B)/hdr/gcc99x.o
	g++   -std=c++11 -Wall -Wextra -Werror -O2 -I. -c $(B)/hdr/one.cpp -o $(B)/hdr/gxx11.o
	clang++ -std=c++17 -Wall -Wextra -Werror -I. -c $(B)/hdr/one.cpp -o $(B)/hdr/clangxx17.o

test: deps
	@$(MAKE) --no-print-directory header-check test-build
	@tests/run.sh

# The main job, end to end: the quickstart and the CLI against the emulator over HTTPS.
demo:
	@tools/deps.sh demo
	@$(MAKE) --no-print-directory $(B)/cdrest $(B)/quickstart
	@sh tools/demo.sh

# The emulator over HTTPS with a throwaway CA, in the foreground: prints the export lines to
# paste into another shell; Ctrl-C stops it.
emulator:
	@tools/deps.sh demo
	@sh tools/emulator.sh

# Install what `cmake --install` installs (tests/t_install.sh compares the two): the header,
# the tool, cdrest.pc, the CMake package (find_package(cdrest CONFIG)) and the man page.
#   make install [PREFIX=/usr/local] [DESTDIR=...]
# The tool is built here without -Werror: a newer compiler's new warning must not stop an
# install (the development builds above keep -Werror).
PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
INCDIR  ?= $(PREFIX)/include
MANDIR  ?= $(PREFIX)/share/man
VERSION := $(shell sed -n 's/^\#define CDREST_VERSION "\(.*\)"/\1/p' cdrest.h)
# INCDIR relative to PREFIX when it lies under it (the package files then stay relocatable).
INCREL   = $(patsubst $(PREFIX)/%,%,$(INCDIR))
PCINCDIR = $(if $(filter /%,$(INCREL)),$(INCREL),$${prefix}/$(INCREL))
$(B)/install/cdrest: examples/cdrest.c cdrest.h
	@mkdir -p $(B)/install
	$(CC) -std=c99 -Wall -Wextra $(CFLAGS) -I. -o $@ $< $(TLSLIB)
install: $(B)/install/cdrest
	install -d $(DESTDIR)$(INCDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
	    $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/lib/cmake/cdrest
	install -m 644 cdrest.h $(DESTDIR)$(INCDIR)/cdrest.h
	install -m 755 $(B)/install/cdrest $(DESTDIR)$(BINDIR)/cdrest
	install -m 644 docs/cdrest.1 $(DESTDIR)$(MANDIR)/man1/cdrest.1
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' -e 's|@PC_INCLUDEDIR@|$(PCINCDIR)|' tools/cdrest.pc.in \
	    > $(DESTDIR)$(PREFIX)/lib/pkgconfig/cdrest.pc
	sed -e 's|@INCLUDEDIR@|$(INCREL)|' tools/cdrestConfig.cmake.in \
	    > $(DESTDIR)$(PREFIX)/lib/cmake/cdrest/cdrestConfig.cmake
	sed -e 's|@VERSION@|$(VERSION)|' tools/cdrestConfigVersion.cmake.in \
	    > $(DESTDIR)$(PREFIX)/lib/cmake/cdrest/cdrestConfigVersion.cmake

clean:
	rm -rf $(B)
