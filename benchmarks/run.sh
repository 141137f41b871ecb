#!/usr/bin/env bash
# Run the benchmarks with OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE unset for these commands only:
# this machine sets them for old OpenBLAS builds, and they make current NumPy's matmul ~1.8x
# slower. Usage: benchmarks/run.sh [bench_overhead|bench_matmul ...] [--flag ...]  (default:
# all; arguments starting with -- go to every script, e.g. --channels-last --numba)
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-.venv/bin/python}"
benches=()
flags=()
for a in "$@"; do
    if [[ "$a" == --* ]]; then flags+=("$a"); else benches+=("$a"); fi
done
[ ${#benches[@]} -eq 0 ] && benches=(bench_overhead bench_matmul bench_mlp bench_mlp_infer bench_lenet bench_conv bench_resnet bench_embedding bench_index bench_lstm bench_transformer bench_jit bench_jit_train bench_onnx)
for b in "${benches[@]}"; do
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$PY" "benchmarks/${b%.py}.py" ${flags[@]+"${flags[@]}"}
done
