#!/usr/bin/env bash
# Install ks with its test tools into .venv and run the whole test suite (what CI runs).
# With PostgreSQL installed and KS_POSTGRES_URL unset, a throwaway cluster is started for
# tests/test_postgres.py and stopped afterwards; without it those tests are skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install -q --disable-pip-version-check -e '.[test,postgresql]'
.venv/bin/ruff check src tests
if [ -z "${KS_POSTGRES_URL:-}" ] && scripts/postgres.sh bin >/dev/null 2>&1; then
    if cluster=$(scripts/postgres.sh start); then
        trap 'scripts/postgres.sh stop "$cluster"' EXIT
        KS_POSTGRES_URL=$(scripts/postgres.sh url "$cluster")
        export KS_POSTGRES_URL
    else
        echo "test.sh: PostgreSQL did not start; its tests will be skipped" >&2
    fi
fi
.venv/bin/python -m pytest "$@"
