#!/usr/bin/env bash
# The NAS strategies benchmark's GPU rows, as one script for a lent GPU machine.
#
# Runs the cuda twins of the committed cpu rows at 120 s, seed 0 (so that
# report_strategies.py's CPU vs GPU table has pairs): eight sweeps at once, each
# pinned to its own two cores (taskset) as the cpu rows had two cores, all sharing
# the one GPU. Then copies the rows, the runs' logs and a GPU-use trace to $OUT.
#
#   OUT=/tmp/gpu bash benchmarks/nas/gpu_rows.sh [--smoke-only | --smoke-unchecked]
#       [--budget 120] [--deadline 400]
#
# On a bare machine: wheels of the missing packages in ./.whl (installed with
# --no-deps into /tmp/site) and the shared datasets it reads in ./.nasdata (read
# through BENCHMARK_DATASETS when ../shared/datasets is absent) are used when present. A 20 s smoke run comes first; the
# script stops there (exit 3) when it does not end ok with a network trained
# (--smoke-unchecked: goes on anyway, for a try on a CPU machine).
# Runs still going at --deadline seconds are killed and recorded by what they
# wrote (none: the run is missing from the rows and is rerun by the next sweep).
set -u
OUT=${OUT:-/tmp/gpu_rows}
PY=${PY:-python3}
BUDGET=120
DEADLINE=400
SMOKE_ONLY=0
SMOKE_CHECK=1
while [ $# -gt 0 ]; do
  case "$1" in
    --smoke-only) SMOKE_ONLY=1 ;;
    --smoke-unchecked) SMOKE_CHECK=0 ;;
    --budget) BUDGET=$2; shift ;;
    --deadline) DEADLINE=$2; shift ;;
    *) echo "unknown argument $1"; exit 2 ;;
  esac
  shift
done
mkdir -p "$OUT"
cd "$(dirname "$0")/../.."
ROOT=$PWD
if [ -d .whl ]; then
  $PY -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
      --target /tmp/site .whl/*.whl || exit 4
  export PYTHONPATH=/tmp/site:$ROOT
else
  export PYTHONPATH=$ROOT
fi
if [ -d .nasdata ] && [ ! -f ../shared/datasets/manifest.json ]; then
  export BENCHMARK_DATASETS=$ROOT/.nasdata
fi
$PY - <<'EOF' | tee "$OUT/versions.txt"
import platform, torch, sklearn, numpy, pandas, xgboost, deap, ConfigSpace
print("python", platform.python_version(), "torch", torch.__version__, "sklearn",
      sklearn.__version__, "numpy", numpy.__version__, "pandas", pandas.__version__,
      "xgboost", xgboost.__version__)
print("cuda", torch.cuda.is_available(),
      torch.cuda.get_device_name(0) if torch.cuda.is_available() else "-")
EOF
DEVICE=cuda
$PY -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)" || DEVICE=cpu
echo "device: $DEVICE"

# smoke: one short run, checked
$PY benchmarks/nas/run_one.py --dataset digits --arm random --seed 0 --budget 20 \
    --device "$DEVICE" --n-jobs 2 --out "$OUT/smoke.json" > "$OUT/smoke.log" 2>&1
$PY - "$OUT/smoke.json" <<'EOF' || [ "$SMOKE_CHECK" = 0 ] || { tail -40 "$OUT/smoke.log"; exit 3; }
import json, sys
row = json.load(open(sys.argv[1]))
print("smoke:", row["status"], "test", row.get("test_accuracy"), "networks",
      row.get("n_networks"), "gpu", row.get("gpu"), row.get("error", "")[-800:])
sys.exit(0 if row["status"] == "ok" and (row.get("n_networks") or 0) > 0 else 1)
EOF
[ "$SMOKE_ONLY" = 1 ] && exit 0

if command -v nvidia-smi > /dev/null; then
  nvidia-smi --query-gpu=timestamp,utilization.gpu,memory.used --format=csv -l 5 \
      > "$OUT/gpu_use.csv" 2>&1 &
fi
RESULTS=/tmp/nasres
# eight sweeps of two runs each: "cores datasets arms", ';'-separated in GPU_ROWS_PARTS
DEFAULT_PARTS="0,1 mnist1d random,evolution;2,3 mnist1d controller,progressive;\
4,5 mnist1d,digits one_shot;6,7 digits random,evolution;8,9 digits controller,progressive;\
10,11 mfeat-pixel random,evolution;12,13 mfeat-pixel controller,progressive;\
14,15 mfeat-pixel one_shot,neural_auto"
IFS=';' read -r -a PARTS <<< "${GPU_ROWS_PARTS:-$DEFAULT_PARTS}"
i=0
for part in "${PARTS[@]}"; do
  set -- $part
  PIN="taskset -c $1"
  $PIN true 2> /dev/null || PIN=""  # fewer cores than the parts: unpinned
  setsid $PIN $PY benchmarks/nas/sweep.py --budget "$BUDGET" --seeds 0 \
      --datasets "$2" --arms "$3" --device "$DEVICE" --chunk "gpu-$BUDGET-p$i" \
      --results-dir "$RESULTS" > "/tmp/sweep_p$i.log" 2>&1 &
  i=$((i + 1))
done
START=$SECONDS
while [ $((SECONDS - START)) -lt "$DEADLINE" ] && pgrep -f benchmarks/nas/sweep.py > /dev/null; do
  sleep 5
done
pkill -9 -f benchmarks/nas/sweep.py; pkill -9 -f benchmarks/nas/run_one.py
echo "sweeps ended after $((SECONDS - START)) s"
cat "$RESULTS"/gpu-*.jsonl > "$OUT/gpu-$BUDGET.jsonl" 2>/dev/null
tar czf "$OUT/logs.tgz" /tmp/sweep_p*.log benchmarks/results/raw/nas_strategies 2>/dev/null
$PY - "$OUT/gpu-$BUDGET.jsonl" <<'EOF'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    print(r["dataset"], r["arm"], r["status"], "test", r.get("test_accuracy"),
          "networks", r.get("n_networks"), "fit", r.get("fit_seconds"), r.get("error", "")[-300:])
EOF
