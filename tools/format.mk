# SPDX-License-Identifier: MIT
# One formatting regime for every C file of the project (.clang-format at the top).
# `make format` rewrites the files in place; `make format-check` (run by .ci/run) fails on
# any file clang-format would change. Needs clang-format (tools/deps.sh test installs it);
# the style is written for Debian 12's clang-format 14.
CLANG_FORMAT ?= clang-format
FORMAT_FILES := cdrest.h $(sort $(wildcard tests/*.c tests/*.h examples/*.c fuzz/*.c fuzz/*.h bench/*.c bench/*.h tools/*.c))

format:
	$(CLANG_FORMAT) -i $(FORMAT_FILES)
format-check:
	@$(CLANG_FORMAT) --dry-run -Werror $(FORMAT_FILES) && echo "format-check: $(words $(FORMAT_FILES)) files as .clang-format says"
.PHONY: format format-check
