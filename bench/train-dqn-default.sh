#!/usr/bin/env bash
# Trains and ships `dqn` for the default model (docs/dqn.md, "The shipped policy"): 3 seeds ×
# 300k env steps across worlds (scenarios/mixed-worlds.json, train traces only), a validation
# checkpoint every 100k steps; `dqn` = the registry's best checkpoint by validation reward.
# The registry models/dqn-policy is replaced; the run's JSON events (per-checkpoint validation
# metrics, the seeds' mean and 95% CI) are kept beside it in models/dqn-policy/training.jsonl.
# Rerun when the default model's weights change (~4 min a seed on the shared 2-core machine).
#
#   bash bench/train-dqn-default.sh [extra coinfer train flags]
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=models/dqn-policy
SEEDS=${SEEDS:-1,2,3}
STEPS=${STEPS:-300000}
FLAGS=(--scenario mixed-worlds --seeds "$SEEDS" --steps "$STEPS" --eval-every 100000 --deadline-mask 1.5 --energy-lambda 0.3)
rm -rf "$OUT"
mkdir -p "$OUT"
nice -n 10 node bin/coinfer.js train "${FLAGS[@]}" --out "$OUT" --json "$@" \
  | grep -E '"event":"(eval|done|seeds)"' > "$OUT/training.jsonl.tmp"
{ printf '{"event":"command","command":"bash bench/train-dqn-default.sh","flags":"%s"}\n' "${FLAGS[*]} $*"; cat "$OUT/training.jsonl.tmp"; } > "$OUT/training.jsonl"
rm "$OUT/training.jsonl.tmp"
tail -n 1 "$OUT/training.jsonl"
