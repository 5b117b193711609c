# SPDX-License-Identifier: MIT
# JSON tokenizer benchmark (included by the Makefile). `make bench-json`:
# cdrest (build/jsoncheck's code at -O2) against jsmn (Debian libjsmn-dev, -O2 -DJSMN_STRICT,
# with parent links, its fast mode; without them on the 1 MiB listing only, since that mode
# is quadratic on long arrays) on CD-shaped listings generated here into build/bench/.
# Runs alternate A B A B, pinned to CPU 0. Not a timed test: it only prints figures.
# The last line is "ratio json_vs_jsmn_strict X": the lower of the 20 MiB and 1 MiB
# medians of cdrest/jsmn (parent links). Needs: tools/deps.sh bench.

BENCH_B        := $(B)/bench
JSON_BENCH_CC  ?= $(CC)
JSON_ROUNDS    ?= 7
JSON_N_20M     ?= 30
JSON_N_1M      ?= 600
JSON_N_NOPARENT ?= 2

$(BENCH_B):
	@mkdir -p $@

# Installs (as root) or names the missing packages (jsmn, ...) before anything is built.
bench-json-deps:
	@tools/deps.sh bench
.PHONY: bench-json-deps

$(BENCH_B)/listing-20m.json: bench/gen_listing.py | $(BENCH_B)
	$(PYTHON) bench/gen_listing.py 20M $@
$(BENCH_B)/listing-1m.json: bench/gen_listing.py | $(BENCH_B)
	$(PYTHON) bench/gen_listing.py 1M $@

# Our own -O2 build of the conformance program, whatever CFLAGS build/jsoncheck had.
$(BENCH_B)/jsoncheck: tests/jsoncheck.c cdrest.h | $(BENCH_B)
	$(JSON_BENCH_CC) -std=c99 $(WARN) -O2 -I. -o $@ $< $(TLSLIB)
$(BENCH_B)/jsmn_strict_parent: bench/bench_jsmn.c | $(BENCH_B) bench-json-deps
	$(JSON_BENCH_CC) -std=c99 -O2 -DJSMN_STRICT -DJSMN_PARENT_LINKS -o $@ $<
$(BENCH_B)/jsmn_strict: bench/bench_jsmn.c | $(BENCH_B) bench-json-deps
	$(JSON_BENCH_CC) -std=c99 -O2 -DJSMN_STRICT -o $@ $<
$(BENCH_B)/bench_json: bench/bench_json.c | $(BENCH_B)
	$(CC) -std=c99 $(WARN) -O2 -o $@ $<

JSON_BENCH_BINS := $(addprefix $(BENCH_B)/,jsoncheck jsmn_strict_parent jsmn_strict bench_json)
JSON_BENCH_DOCS := $(BENCH_B)/listing-20m.json $(BENCH_B)/listing-1m.json

bench-json: bench-json-deps $(JSON_BENCH_BINS) $(JSON_BENCH_DOCS)
	@echo "JSON tokenizer, pinned to CPU 0, $(JSON_ROUNDS) alternating rounds (cdrest validates fully; jsmn does not)"
	@echo "20 MiB listing ($$(wc -c < $(BENCH_B)/listing-20m.json) bytes), $(JSON_N_20M) parses per run:"
	@taskset -c 0 $(BENCH_B)/bench_json $(JSON_ROUNDS) $(BENCH_B)/listing-20m.json \
	    cdrest $(JSON_N_20M) $(BENCH_B)/jsoncheck \
	    jsmn-strict-parent $(JSON_N_20M) $(BENCH_B)/jsmn_strict_parent | tee $(BENCH_B)/json-20m.txt
	@echo "1 MiB listing ($$(wc -c < $(BENCH_B)/listing-1m.json) bytes), $(JSON_N_1M) parses per run:"
	@taskset -c 0 $(BENCH_B)/bench_json $(JSON_ROUNDS) $(BENCH_B)/listing-1m.json \
	    cdrest $(JSON_N_1M) $(BENCH_B)/jsoncheck \
	    jsmn-strict-parent $(JSON_N_1M) $(BENCH_B)/jsmn_strict_parent | tee $(BENCH_B)/json-1m.txt
	@echo "1 MiB listing, jsmn without parent links (quadratic on long arrays), $(JSON_N_NOPARENT) parses per run:"
	@taskset -c 0 $(BENCH_B)/bench_json 3 $(BENCH_B)/listing-1m.json \
	    cdrest $(JSON_N_1M) $(BENCH_B)/jsoncheck \
	    jsmn-strict $(JSON_N_NOPARENT) $(BENCH_B)/jsmn_strict
	@awk '/^ratio /{ r = $$3; if (min == "" || r < min) min = r } END { printf "ratio json_vs_jsmn_strict %s\n", min }' \
	    $(BENCH_B)/json-20m.txt $(BENCH_B)/json-1m.txt
