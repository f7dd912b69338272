#!/usr/bin/env bash
# Install ks with its test tools into .venv and run the whole test suite (what CI runs), once per
# engine: first with every test's ledger a SQLite file (tests/test_postgres*.py use the server in
# this pass), then, when a PostgreSQL server is there, again with every test's ledger a fresh
# database on it (KS_TEST_ENGINE=postgresql; tests/conftest.py says which tests apply and why
# the others are skipped). With PostgreSQL installed and KS_POSTGRES_URL unset, a throwaway
# cluster is started for both passes and stopped afterwards; without one the PostgreSQL tests
# are skipped (under CI they fail). Arguments go to each pytest run; KS_TEST_ENGINE=sqlite or
# KS_TEST_ENGINE=postgresql runs that pass alone. Exits non-zero if either pass failed.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install -q --disable-pip-version-check -e '.[test,postgresql]'
.venv/bin/ruff check src tests
only=${KS_TEST_ENGINE:-}
case "$only" in
"" | sqlite | postgresql) ;;
*) echo "test.sh: KS_TEST_ENGINE=$only: the engines are sqlite and postgresql" >&2; exit 2 ;;
esac
if [ -z "${KS_POSTGRES_URL:-}" ] && scripts/postgres.sh bin >/dev/null 2>&1; then
    if cluster=$(scripts/postgres.sh start); then
        trap 'scripts/postgres.sh stop "$cluster"' EXIT
        KS_POSTGRES_URL=$(scripts/postgres.sh url "$cluster")
        export KS_POSTGRES_URL
    else
        echo "test.sh: PostgreSQL did not start; its tests will be skipped" >&2
    fi
fi
status=0
if [ "$only" != postgresql ]; then
    echo "test.sh: the suite on SQLite ledger files" >&2
    KS_TEST_ENGINE=sqlite .venv/bin/python -m pytest "$@" || status=$?
fi
if [ "$only" != sqlite ]; then
    if [ -n "${KS_POSTGRES_URL:-}" ]; then
        echo "test.sh: the suite again, each ledger a database on PostgreSQL" >&2
        # Exit 5: nothing collected, as when the tests chosen take no ledger.
        KS_TEST_ENGINE=postgresql .venv/bin/python -m pytest "$@" || {
            code=$?
            [ "$code" = 5 ] || status=$code
        }
    elif [ "$only" = postgresql ] || [ -n "${CI:-}" ]; then
        echo "test.sh: no PostgreSQL server for the PostgreSQL pass (set KS_POSTGRES_URL)" >&2
        status=1
    else
        echo "test.sh: no PostgreSQL here: the suite ran on SQLite only" >&2
    fi
fi
exit "$status"
