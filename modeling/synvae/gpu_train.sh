#!/usr/bin/env bash
# The SynVAE family on the GPU machine (see modeling/synvae/gpu_train.py), from the repo root:
#   bash modeling/synvae/gpu_train.sh [BUDGET_S] [extra options of 'gpu_train run']
# needs $OUT (where results go) and the folder 'python -m modeling.synvae.gpu_train prepare'
# wrote (default var/synvae/gpu, carried to the machine). The machine's python3 has torch but
# no pretty_midi: training never writes MIDI, so a stand-in that fails if used is put first on
# the path (SYNVAE_FORCE_SHIM=1 does the same where pretty_midi is installed: a rehearsal).
set -euo pipefail
: "${OUT:?set OUT to the folder the results go to}"
DATA=${SYNVAE_GPU_DATA:-var/synvae/gpu}
BUDGET=${1:-420}
PY=${PYTHON:-python3}
export PYTHONUNBUFFERED=1
mkdir -p "$OUT"
if [ "${SYNVAE_FORCE_SHIM:-0}" = 1 ] || ! "$PY" -c "import pretty_midi" 2>/dev/null; then
  shim=$(mktemp -d)
  mkdir -p "$shim/pretty_midi"
  cat > "$shim/pretty_midi/__init__.py" <<'PY'
"""A stand-in for pretty_midi where it is not installed: training never writes MIDI."""


def __getattr__(name):
    raise ImportError(f"pretty_midi is not installed here (pretty_midi.{name} was used)")
PY
  export PYTHONPATH="$shim${PYTHONPATH:+:$PYTHONPATH}"
  echo "pretty_midi stand-in at $shim"
fi
(nvidia-smi -L || echo "no nvidia-smi") | tee "$OUT/train.log"
"$PY" -c "import torch; print('torch', torch.__version__, 'cuda', torch.cuda.is_available())" \
  | tee -a "$OUT/train.log"
"$PY" -m modeling.synvae.gpu_train run --data "$DATA" --out "$OUT" --budget-s "$BUDGET" \
  "${@:2}" 2>&1 | tee -a "$OUT/train.log"
