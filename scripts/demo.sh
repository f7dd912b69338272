#!/usr/bin/env bash
# Install ks into .venv (if needed) and enter the reference story into a fresh demo ledger.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/ks ] || { python3 -m venv .venv && .venv/bin/pip install -q -e .; }
demo_dir=$(mktemp -d)
export KS_DB="$demo_dir/demo.sqlite" PATH="$PWD/.venv/bin:$PATH"
examples/reference-story.sh
echo
echo "== The report for leaders, as of 10 September 2022 (ks report, as cron runs it) =="
ks report --as-of 2022-09-10 --since 2022-08-01
ks report --as-of 2022-09-10 --since 2022-08-01 --format html --out "$demo_dir/laporan.html"
echo
echo "Demo ledger: $KS_DB (try: KS_DB=$KS_DB .venv/bin/ks list)"
echo "HTML report: $demo_dir/laporan.html"
