#!/usr/bin/env bash
# Install ks with its test tools into .venv and run the whole test suite (what CI runs).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install -q --disable-pip-version-check -e '.[test]'
.venv/bin/ruff check src tests
.venv/bin/python -m pytest "$@"
