"""neural-tangents side of ``bench_engine.py`` (run by the pinned venv of ``nt_env.sh``, not by dagnngp).

Usage (bench_engine.py starts it):  .nt-venv/bin/python benchmarks/nt_worker.py DIR N_NODES

``DIR`` holds ``X.npy`` (N x d, the benchmark inputs) and ``X_small.npy``.  The
chain ``2_02_..._002`` with ``N_NODES`` nodes (node t = sqrt(2/m) relu(W_t X_{t-1}),
W_t standard normal, no bias) is ``stax.serial(Dense(1, W_std=sqrt(2)), Relu)``
repeated ``N_NODES - 1`` times: ``Dense`` maps the kernel K to
``W_std^2 K`` and ``Relu`` to ``E[relu(u) relu(v)]``, so one pair gives
``2 E[relu(u) relu(v)]``, the dual map ``f`` with ``c_sigma = 2``.
neural-tangents starts from ``x x^T / d``; the inputs are passed as
``sqrt(d) X`` so that its input kernel is our ``K0 = X X^T``.

The worker writes ``nt_small.npy`` and ``nt_full.npy`` (the NNGP of the last
layer on both inputs) for bench_engine.py to compare, prints one JSON line
(versions, device, first-call time), then answers each ``time`` line on stdin
with one JSON line ``{"seconds": ...}``: the wall time of one jitted
``kernel_fn(x, None, "nngp")`` call, result ready; ``quit`` ends it.
"""

import json
import os
import sys
import time
import types

# neural_tangents/__init__.py imports .experimental, which needs TensorFlow; the kernels do not
sys.modules.setdefault("neural_tangents.experimental", types.ModuleType("neural_tangents.experimental"))
os.environ.setdefault("JAX_PLATFORMS", "cpu")

import jax  # noqa: E402

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import neural_tangents as nt  # noqa: E402
import numpy as np  # noqa: E402
from neural_tangents import stax  # noqa: E402


def main() -> None:
    folder, n_nodes = sys.argv[1], int(sys.argv[2])
    layers = []
    for _ in range(n_nodes - 1):
        layers += [stax.Dense(1, W_std=np.sqrt(2.0)), stax.Relu()]
    _, _, kernel_fn = stax.serial(*layers)
    kernel_fn = jax.jit(kernel_fn, static_argnames="get")

    def as_nt(name: str) -> jnp.ndarray:
        X = np.load(os.path.join(folder, name))
        return jnp.asarray(X * np.sqrt(X.shape[1]), dtype=jnp.float64)

    small = kernel_fn(as_nt("X_small.npy"), None, "nngp").block_until_ready()
    np.save(os.path.join(folder, "nt_small.npy"), np.asarray(small, dtype=np.float64))
    x = as_nt("X.npy")
    t = time.perf_counter()
    full = kernel_fn(x, None, "nngp").block_until_ready()
    first = time.perf_counter() - t
    np.save(os.path.join(folder, "nt_full.npy"), np.asarray(full, dtype=np.float64))
    del full
    threads = os.environ.get("XLA_FLAGS", "") or f"XLA default (os.cpu_count() = {os.cpu_count()})"
    print(json.dumps({"nt_version": nt.__version__, "jax_version": jax.__version__,
                      "device": str(jax.devices()[0].device_kind), "x64": bool(jax.config.jax_enable_x64),
                      "threads": threads, "first_call_s": first}), flush=True)
    for line in sys.stdin:
        if line.strip() != "time":
            break
        t = time.perf_counter()
        kernel_fn(x, None, "nngp").block_until_ready()
        print(json.dumps({"seconds": time.perf_counter() - t}), flush=True)


if __name__ == "__main__":
    main()
