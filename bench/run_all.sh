#!/usr/bin/env bash
# Every bench in sequence, with the parameters of the README's figures; then a summary of the
# lines that carry a verdict (target, ratio, load). Run it on a quiet machine:
#
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/gomask REDIS_URL=redis://127.0.0.1:6379/0 bench/run_all.sh
#
# Each bench's full output goes to bench-logs/<name>.log (BENCH_LOGS to change); the first run
# builds the bench databases (the national one, then the dashboard's 10 M dispensations: allow
# a few hours on 2 cores), later runs reuse them. BENCHES="search dashboard" runs only those.
set -u
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
LOGS=${BENCH_LOGS:-bench-logs}
mkdir -p "$LOGS"
export GOMASK_ENV=test GEOCODER_BACKEND=none
: "${DATABASE_URL:?set DATABASE_URL=postgres://...}"

declare -A ARGS=(
  [search]=""
  [referral]=""
  [dashboard]="--dispensations 10000000 --runs 30"
  [observatory]="--professionals 300000 --runs 20"
  [fanout]=""
  [booking]=""
  [handover]="--seconds 20 --clients 8"
  [forecast]=""
  [simulator]=""
  [opendata]=""
)
ORDER=${BENCHES:-"search referral dashboard observatory fanout booking handover forecast simulator opendata"}

failed=()
for name in $ORDER; do
  log="$LOGS/$name.log"
  echo "== bench_$name ${ARGS[$name]}  ($(date +%H:%M:%S), log: $log)"
  started=$(date +%s)
  # shellcheck disable=SC2086
  if ! "$PY" "bench/bench_$name.py" ${ARGS[$name]} >"$log" 2>&1; then
    failed+=("$name")
  fi
  echo "   $(($(date +%s) - started)) s"
done

echo
echo "== Summary (machine: $(nproc) CPUs, $(uname -srm))"
for name in $ORDER; do
  echo "-- $name"
  grep -E "target|ratio|MISSED|OK|Before:|After:|load average|statements per search|Roll-up rows|^  [a-z]+ +[0-9,]+ +[0-9,]+$" \
    "$LOGS/$name.log" | sed 's/^/   /'
done
if ((${#failed[@]})); then
  echo "Exit status not 0 (a target missed or a check failed): ${failed[*]}"
  exit 1
fi
