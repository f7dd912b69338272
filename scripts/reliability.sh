#!/usr/bin/env bash
# Run the long reliability tests (8 writers x 200 operations, 50 kill -9, a 10 s report,
# a backup under load, 25 + 25 simulated power cuts and, as root, 25 on a real ext4 disk)
# and summarise their figures. CI runs the short version in the suite.
# Extra arguments go to pytest, e.g. scripts/reliability.sh -k kill
# KS_POWERLOSS_KERNEL=0 leaves out the ext4 disk (it mounts a loop device).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || { echo "no .venv: run scripts/test.sh first" >&2; exit 1; }

figures=$(mktemp "${TMPDIR:-/tmp}/ks-reliability.XXXXXX.jsonl")
trap 'rm -f "$figures"' EXIT
started=$(date +%s)
status=0
# pytest's exit 5 (no test selected, e.g. by -k) is not a failure of the other stage.
stage() { "$@" || { code=$?; [ "$code" -eq 5 ] || status=$code; }; }
stage env KS_RELIABILITY=long KS_RELIABILITY_FIGURES="$figures" \
    .venv/bin/python -m pytest tests/test_reliability.py -s -q "$@"
# Power loss: `ks` under an LD_PRELOAD shim (scripts/powerloss/) whose unsynced writes and
# names a power cut takes back, then on an ext4 disk in a loop device shut down without
# committing its journal (EXT4_IOC_SHUTDOWN, as xfstests does; skipped unless root).
stage env KS_RELIABILITY=long KS_RELIABILITY_FIGURES="$figures" \
    KS_POWERLOSS_KERNEL="${KS_POWERLOSS_KERNEL:-1}" \
    .venv/bin/python -m pytest tests/test_powerloss.py -s -q "$@"
elapsed=$(( $(date +%s) - started ))

.venv/bin/python - "$figures" "$elapsed" "$status" <<'EOF'
import json
import sys

path, elapsed, status = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with open(path, encoding="utf-8") as lines:
    runs = [json.loads(line) for line in lines if line.strip()]
titles = {
    "test_concurrent_writers_lose_nothing_and_never_see_locked": "Concurrent writers",
    "test_backup_during_concurrent_writers_holds_every_earlier_write": "Backup under load",
    "test_negative_control_deferred_transactions_do_fail_with_locked":
        "Negative control (deferred BEGIN: must fail)",
    "test_long_read_transaction_does_not_fail_writers": "Long report while writing",
    "test_kill_9_loses_no_acknowledged_write": "kill -9",
    "test_power_cuts_lose_no_acknowledged_write[drop]":
        "Power cut (shim: every unsynced write and name lost)",
    "test_power_cuts_lose_no_acknowledged_write[reorder]":
        "Power cut (shim: a random half of the unsynced pages lost)",
    "test_negative_control_synchronous_off_does_lose_acknowledged_writes":
        "Power cut, negative control (shim, synchronous=OFF: must lose)",
    "test_ext4_power_cuts_lose_no_acknowledged_write": "Power cut (ext4 disk shut down)",
    "test_ext4_negative_control_synchronous_off_does_lose_acknowledged_writes":
        "Power cut, negative control (ext4, synchronous=OFF: must lose)",
}
print()
print("=" * 72)
print(f"ks reliability, long run: {elapsed} s, pytest exit {status}")
print("=" * 72)
for run in runs:
    name = run.pop("test")
    run.pop("mode", None)
    print(f"\n{titles.get(name, name)}")
    if name.startswith("test_kill_9"):
        print(
            f"  {run['lost']} lost of {run['acknowledged']} acknowledged "
            f"across {run['kills']} kills"
        )
    if "cuts" in run:
        print(
            f"  {run['lost']} lost of {run['acknowledged']} acknowledged across "
            f"{run['cuts']} power cuts, {run['verify_problems']} verify problems"
        )
    width = max(len(key) for key in run)
    for key, value in run.items():
        print(f"  {key:<{width}}  {value}")
if not runs:
    print("\nno figures recorded (did the tests run?)")
print()
EOF
exit "$status"
