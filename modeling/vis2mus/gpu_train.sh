#!/usr/bin/env bash
# The published-size chord/texture VAE on the GPU machine, from the repo root:
#   bash modeling/vis2mus/gpu_train.sh [BUDGET_S] [STEPS]
# needs $OUT (where results go) and the segment corpus built here beforehand, carried to the
# machine (the GPU machine has no music21):
#   .venv/bin/python -c "from modeling.vis2mus.data import build_segment_corpus; \
#     build_segment_corpus(max_works=None, seed=0, cache_path='var/vis2mus/gpu/segments.npz')"
#   run: carry ["var/vis2mus/gpu"], command "OUT=$OUT bash modeling/vis2mus/gpu_train.sh 420"
# It trains the `published` preset (27.6 M parameters, batch 128) until STEPS or the time budget,
# keeps the best validation weights, then writes the held-out metrics and the equivariance table
# (the model card's two tables) beside the checkpoint and the log. VIS2MUS_CORPUS names another
# corpus file (a rehearsal on CPU passes a small one and a few steps).
set -euo pipefail
: "${OUT:?set OUT to the folder the results go to}"
BUDGET=${1:-420}
STEPS=${2:-60000}
CORPUS=${VIS2MUS_CORPUS:-var/vis2mus/gpu/segments.npz}
MAX_WORKS=${VIS2MUS_MAX_WORKS:-}
PY=${PYTHON:-python3}
export PYTHONUNBUFFERED=1
mkdir -p "$OUT"
[ -f "$CORPUS" ] || { echo "the corpus $CORPUS is missing: build it here and carry it" >&2; exit 2; }
works=()
[ -n "$MAX_WORKS" ] && works=(--max-works "$MAX_WORKS")
(nvidia-smi -L || echo "no nvidia-smi") | tee "$OUT/train.log"
"$PY" -c "import torch; print('torch', torch.__version__, 'cuda', torch.cuda.is_available())" \
  | tee -a "$OUT/train.log"
"$PY" -m modeling.vis2mus train --preset published --steps "$STEPS" --time-limit-s "$BUDGET" \
  "${works[@]}" --corpus-cache "$CORPUS" --out "$OUT/vis2mus_published.pt" --no-evaluate \
  2>&1 | tee -a "$OUT/train.log"
"$PY" -m modeling.vis2mus evaluate --checkpoint "$OUT/vis2mus_published.pt" \
  --corpus-cache "$CORPUS" "${works[@]}" --write 2>&1 | tee "$OUT/evaluate.log"
"$PY" -m modeling.vis2mus equivariance --checkpoint "$OUT/vis2mus_published.pt" \
  --corpus-cache "$CORPUS" "${works[@]}" --anchors 50 --json > "$OUT/equivariance.json"
# What comes back: at most 8 files of 16 MiB. The weights travel as float16 without optimiser
# state (about 55 MB) in parts of 15 MB: `cat vis2mus_published_fp16.pt.part-* > ...pt` joins them.
"$PY" - "$OUT" <<'PY' | tee -a "$OUT/train.log"
import sys
from pathlib import Path

from modeling.checkpoint_io import file_sha256, load_checkpoint, save_checkpoint

out = Path(sys.argv[1])
checkpoint = load_checkpoint(out / "vis2mus_published.pt", expected_kind="vis2mus")
checkpoint.optimizer_state, checkpoint.rng_state = None, None
checkpoint.model_state = {
    name: value.half() if value.is_floating_point() else value
    for name, value in checkpoint.model_state.items()
}
slim = save_checkpoint(checkpoint, out / "vis2mus_published_fp16.pt")
print("fp16 weights", slim.stat().st_size, "bytes, sha256", file_sha256(slim))
PY
split -b 15M -d "$OUT/vis2mus_published_fp16.pt" "$OUT/vis2mus_published_fp16.pt.part-"
rm "$OUT/vis2mus_published.pt" "$OUT/vis2mus_published_fp16.pt"
echo "done: parts, train.log, evaluate.log, equivariance.json under $OUT" | tee -a "$OUT/train.log"
