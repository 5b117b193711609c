#!/bin/sh
# SPDX-License-Identifier: MIT
# The emulator's fast paths (tests/cdemu.py) against its general paths, input by input:
# see tests/test_emu_fastpath.py. Runs with the python3 that runs the emulator in the
# other tests (the first in PATH). Ends with one line "N passed, N failed".
cd "$(dirname "$0")/.." || exit 1
PY=$(command -v python3 || echo /usr/bin/python3)
exec "$PY" tests/test_emu_fastpath.py
