# SPDX-License-Identifier: MIT
# The command-line tool's end-to-end tests (tests/t_cli.sh) run build/asan/cdrest;
# `make test-build` builds it (and the plain build/cdrest) with the other test programs.
EXTRA_TEST_BUILD += build/cdrest build/asan/cdrest
