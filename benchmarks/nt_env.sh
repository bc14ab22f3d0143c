#!/usr/bin/env bash
# Make the pinned neural-tangents environment that benchmarks/bench_engine.py compares against.
#
#   bash benchmarks/nt_env.sh [VENV_DIR]        (default: .nt-venv in the repository root)
#
# neural-tangents is never a dependency of dagnngp: it lives only in this separate virtual
# environment, which bench_engine.py runs as a subprocess (benchmarks/nt_worker.py).
# neural-tangents 0.6.5 declares TensorFlow and tf2jax as requirements, but only its
# `neural_tangents.experimental` module (TF empirical kernels) uses them; it is installed
# with --no-deps and nt_worker.py puts an empty stand-in for that module in place before the import.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${1:-$root/.nt-venv}"
python="${PYTHON:-python3}"

"$python" -m venv "$venv"
"$venv/bin/python" -m pip install -q --disable-pip-version-check \
    "jax==0.4.38" "jaxlib==0.4.38" "frozendict==2.5.1" \
    "numpy==2.2.6" "scipy==1.15.3" "ml_dtypes==0.5.1" "opt_einsum==3.4.0"
"$venv/bin/python" -m pip install -q --disable-pip-version-check --no-deps "neural-tangents==0.6.5"
"$venv/bin/python" - <<'PY'
import sys, types
sys.modules["neural_tangents.experimental"] = types.ModuleType("neural_tangents.experimental")
import jax, neural_tangents
print(f"neural-tangents {neural_tangents.__version__}, jax {jax.__version__} ready in {sys.prefix}")
PY
