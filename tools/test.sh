#!/usr/bin/env bash
# The project's test command (`make test`): (a) notebooks and library in sync, (b) notebooks clean,
# (c) nbdev_test over every notebook (slow and cuda cells skipped), (d) pytest tests/.
# Prints one summary line at the end and exits non-zero if any step failed.
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH" MPLBACKEND=Agg PYTHONHASHSEED=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
declare -a names results
t0=$(date +%s)
step() { # name, command...
  local name=$1; shift
  local s=$(date +%s)
  echo "=== $name"
  if "$@"; then results+=("$name ok ($(( $(date +%s) - s ))s)"); else results+=("$name FAILED"); failed=1; fi
}
failed=0

check_export() {
  cp -r talking_heads "$tmp/lib_before"
  nbdev_export || return 1
  if ! diff -r -q -x __pycache__ "$tmp/lib_before" talking_heads; then
    echo "notebooks and library out of sync: run nbdev_export and commit talking_heads/"; return 1
  fi
  python tools/make_readme.py --check
}
check_clean() {
  cp -r nbs "$tmp/nbs"
  nbdev_clean --fname "$tmp/nbs" || return 1
  if ! diff -r -q -x .ipynb_checkpoints nbs "$tmp/nbs"; then
    echo "some notebooks are not clean: run nbdev_clean and commit nbs/"; return 1
  fi
}
step export check_export
step clean check_clean
step nbdev_test nbdev_test --n_workers "${NBDEV_WORKERS:-2}" --timing
step pytest python -m pytest -q tests
summary=$(IFS=';'; echo "${results[*]}")
if [ $failed -eq 0 ]; then status=PASSED; else status=FAILED; fi
echo "make test: $status in $(( $(date +%s) - t0 ))s: ${summary//;/, }"
exit $failed
