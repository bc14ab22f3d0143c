"""Write ``tests/reference/nt_values.json``: NNGP and NTK values computed by neural-tangents 0.6.5.

neural-tangents is an external oracle for :func:`dagnngp.numerics.nngp` and
:func:`dagnngp.numerics.ntk`, never a dependency of dagnngp: this script builds
(or reuses) a pinned, isolated virtual environment for it, runs itself there as a
worker (``--worker``), and writes the values it returns.  Run it by hand when the
cases change; ``tests/test_nt_reference.py`` reads only the committed JSON::

    python tests/reference/make_nt_values.py [--venv DIR] [--out FILE]

The environment (default ``.nt-venv`` in the repository root, the one
``benchmarks/nt_env.sh`` makes) holds ``jax==0.4.38``, ``jaxlib==0.4.38``,
``frozendict`` and, installed with ``--no-deps``, ``neural-tangents==0.6.5``.
neural-tangents declares TensorFlow as a requirement only for its
``neural_tangents.experimental`` module, which its ``__init__`` imports; the
worker puts an empty stand-in for that module in place before the import.

How a motif becomes a neural-tangents network (float64 throughout):

* node 0 is the input ``x`` (rows of :data:`INPUTS`, ``d`` = 4 features);
  neural-tangents' input kernel is ``x . x' / d``, so our ``K0 = X X^T / d``
  (exact here: the inputs are dyadic rationals).  For pre-activation edges node 0
  is a centred Gaussian field with covariance ``K0`` and no trainable parameter;
  a one-line layer marks neural-tangents' input kernel as Gaussian
  (``is_gaussian=True``), which is what its own ``Dense`` output would be, without
  adding a trained stem to the NTK;
* a post-activation edge ``sqrt(c) relu(W x + b)`` is
  ``serial(Dense(1, W_std=1, b_std=sigma_b), ABRelu(0, sqrt(c)))``;
* a pre-activation edge ``sqrt(c) W relu(x) + b`` is
  ``serial(Relu(), Dense(1, W_std=sqrt(c), b_std=sigma_b))``; an edge weight
  ``w`` multiplies ``W_std`` and ``b_std`` (pre) or the ReLU's slope (post);
* a skip edge is ``Identity()``; a node with several incoming edges is
  ``serial(FanOut(k), parallel(*branches), FanInSum())``, each branch computing
  its source node afresh (the DAG unfolded into a tree);
* ``readout=True`` appends ``Dense(1, W_std=1, b_std=0)`` (trained readout), so
  the NNGP is unchanged and the NTK gains the output node's NNGP.

``FanInSum`` adds its branches' kernels: it assumes independent branches.  That is
exact when every node sums at most one skip branch (linear branches have fresh
zero-mean weights); where two skip paths from one node meet it is not (``X + X``
gives it ``2K`` instead of ``4K``): those cases are recorded with
``"nt_expected": "wrong"`` as a negative control.  neural-tangents refuses
post-activation sums (``FanInSum`` needs Gaussian branches); one such refusal is
recorded under ``"refusals"``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
DEFAULT_VENV = ROOT / ".nt-venv"
DEFAULT_OUT = HERE / "nt_values.json"

PINS = ("jax==0.4.38", "jaxlib==0.4.38", "frozendict==2.5.1", "numpy==2.2.6", "scipy==1.15.3",
        "ml_dtypes==0.5.1", "opt_einsum==3.4.0")
NT_PIN = "neural-tangents==0.6.5"
VERSIONS = {"neural_tangents": "0.6.5", "jax": "0.4.38"}

#: The inputs (N = 6, d = 4): dyadic rationals, so x . x' / d is exact in float64; norms differ.
INPUTS = (
    (1.0, 0.5, -0.25, 0.75),
    (0.5, 1.0, 0.25, -0.5),
    (-0.75, 0.25, 1.0, 0.5),
    (0.25, -0.5, 0.5, 1.25),
    (1.5, 0.75, -0.5, 0.25),
    (-0.5, -1.0, 0.25, 0.5),
)

#: (c_sigma, sigma_b) grid of the chains: He scaling and another, without and with a bias.
GRID = ((2.0, 0.0), (2.0, 0.3), (1.5, 0.0), (1.5, 0.5))


def _cases() -> list[dict]:
    """The case list: name, motif string, edge convention, c_sigma, sigma_b, expectation."""
    cases: list[dict] = []

    def add(name: str, motif: str, edge: str, c: float, b: float, expected: str = "exact",
            kind: str = "") -> None:
        for readout in (False, True):
            cases.append({"name": f"{name}/c{c:g}/b{b:g}/{'readout' if readout else 'no-readout'}",
                          "kind": kind, "motif": motif, "edge": edge, "c_sigma": c, "sigma_b": b,
                          "readout": readout, "nt_expected": expected})

    for c, b in GRID:
        for motif in ("2", "2_02_002", "2_02_002_0002"):
            add(f"post chain {motif}", motif, "post", c, b, kind="post chain")
            add(f"pre chain {motif}", motif, "pre", c, b, kind="pre chain")
    for c, b in ((2.0, 0.0), (2.0, 0.3), (1.5, 0.5)):
        add("pre residual block 2_12", "2_12", "pre", c, b, kind="residual")
        add("pre two residual blocks 2_12_002_0012", "2_12_002_0012", "pre", c, b, kind="residual")
        add("pre residual x + W relu(x): 2_11", "2_11", "pre", c, b, kind="residual")
        add("pre cell 2_21_122", "2_21_122", "pre", c, b, kind="one skip per node")
        add("pre cell 2_22_212", "2_22_212", "pre", c, b, kind="one skip per node")
        add("pre cell 2_21_202_1022", "2_21_202_1022", "pre", c, b, kind="one skip per node")
        add("two skips from node 1 meet: 2_01_011_0002", "2_01_011_0002", "pre", c, b, expected="wrong",
            kind="negative control")
    for c, b in ((2.0, 0.0), (2.0, 0.3)):
        add("pre residual scaled x + 0.5 F(x): 2_12(0.5)", "2_12(0.5)", "pre", c, b, kind="weighted")
        add("post chain weighted 2(0.5)_02(1.5)", "2(0.5)_02(1.5)", "post", c, b, kind="weighted")
    return cases


REFUSALS = ({"name": "post-activation sum 2_21", "motif": "2_21", "edge": "post", "c_sigma": 2.0,
             "sigma_b": 0.0, "readout": False},)


def parse_motif(text: str) -> list[tuple[int, int, int, float]]:
    """Edges ``(s, t, op, weight)`` of a motif string (op 1 skip, 2 linear; zeros left out).

    >>> parse_motif("2_12(0.5)")
    [(0, 1, 2, 1.0), (0, 2, 1, 1.0), (1, 2, 2, 0.5)]
    """
    edges = []
    for t, group in enumerate(text.split("_"), start=1):
        s, i = 0, 0
        while i < len(group):
            op, i = int(group[i]), i + 1
            w = 1.0
            if i < len(group) and group[i] == "(":
                j = group.index(")", i)
                w, i = float(group[i + 1 : j]), j + 1
            if op:
                edges.append((s, t, op, w))
            s += 1
        if s != t:
            raise ValueError(f"motif {text!r}: group {t} has {s} ops, expected {t}")
    return edges


# ----------------------------------------------------------------------------------------------
# worker: runs inside the neural-tangents environment


def _worker() -> None:
    import types

    sys.modules.setdefault("neural_tangents.experimental", types.ModuleType("neural_tangents.experimental"))
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    import neural_tangents as nt
    import numpy as np
    from jax.example_libraries import stax as ostax
    from neural_tangents import stax
    from neural_tangents._src.stax.requirements import layer, supports_masking

    @layer
    @supports_masking(remask_kernel=False)
    def GaussianInput():  # noqa: N802  (stax naming)
        init_fn, apply_fn = ostax.Identity
        return init_fn, apply_fn, lambda k, **kwargs: k.replace(is_gaussian=True)

    def network(case: dict):
        edges = parse_motif(case["motif"])
        c, b, edge = case["c_sigma"], case["sigma_b"], case["edge"]
        width = len(INPUTS[0])  # FanInSum needs equal shapes; the kernels do not depend on it

        def edge_layer(op: int, w: float):
            if op == 1:
                if w != 1.0:
                    raise ValueError("weighted skip edges are not mapped")
                return stax.Identity()
            if edge == "pre":
                return stax.serial(stax.Relu(), stax.Dense(width, W_std=w * np.sqrt(c), b_std=w * b))
            return stax.serial(stax.Dense(width, W_std=1.0, b_std=b), stax.ABRelu(0.0, w * np.sqrt(c)))

        def node(t: int):
            if t == 0:
                return GaussianInput() if edge == "pre" else stax.Identity()
            branches = [stax.serial(node(s), edge_layer(op, w)) for s, tt, op, w in edges if tt == t]
            if not branches:
                raise ValueError(f"node {t} of {case['motif']} has no incoming edge")
            if len(branches) == 1:
                return branches[0]
            return stax.serial(stax.FanOut(len(branches)), stax.parallel(*branches), stax.FanInSum())

        out = node(max(t for _, t, _, _ in edges))
        if case["readout"]:
            out = stax.serial(out, stax.Dense(1, W_std=1.0, b_std=0.0))
        return out[2]

    x = jnp.asarray(np.array(INPUTS, dtype=np.float64))
    result: dict = {"versions": {"neural_tangents": nt.__version__, "jax": jax.__version__},
                    "x64": bool(jax.config.jax_enable_x64), "device": str(jax.devices()[0].device_kind)}
    result["K0"] = np.asarray(stax.Identity()[2](x, None, "nngp"), dtype=np.float64).tolist()
    values = []
    for case in _cases():
        k = network(case)(x, None, ("nngp", "ntk"))
        values.append({"nngp": np.asarray(k.nngp, dtype=np.float64).tolist(),
                       "ntk": np.asarray(k.ntk, dtype=np.float64).tolist()})
    result["values"] = values
    refusals = []
    for case in REFUSALS:
        try:
            network(case)(x, None, ("nngp", "ntk"))
            refusals.append({**case, "nt_error": None})
        except NotImplementedError as exc:
            refusals.append({**case, "nt_error": f"NotImplementedError: {exc}"})
    result["refusals"] = refusals
    json.dump(result, sys.stdout)


# ----------------------------------------------------------------------------------------------
# driver: builds the environment, runs the worker, writes the file


def _venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _venv_ok(venv: Path) -> bool:
    py = _venv_python(venv)
    if not py.is_file():
        return False
    probe = ("import sys, types; sys.modules['neural_tangents.experimental'] = types.ModuleType('x'); "
             "import jax, neural_tangents; print(jax.__version__, neural_tangents.__version__)")
    run = subprocess.run([str(py), "-c", probe], capture_output=True, text=True,
                         env={**os.environ, "JAX_PLATFORMS": "cpu"})
    return run.returncode == 0 and run.stdout.split() == [VERSIONS["jax"], VERSIONS["neural_tangents"]]


def ensure_venv(venv: Path) -> Path:
    """Reuse ``venv`` if it holds the pinned versions, else (re)build it; returns its Python."""
    if _venv_ok(venv):
        return _venv_python(venv)
    print(f"building the neural-tangents environment in {venv} ...", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
    py = str(_venv_python(venv))
    pip = [py, "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    subprocess.run([*pip, *PINS], check=True)
    subprocess.run([*pip, "--no-deps", NT_PIN], check=True)
    if not _venv_ok(venv):
        raise SystemExit(f"{venv}: neural-tangents {VERSIONS['neural_tangents']} does not import there")
    return _venv_python(venv)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--venv", type=Path, default=DEFAULT_VENV, help="the neural-tangents environment")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="the JSON file to write")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        _worker()
        return 0
    py = ensure_venv(args.venv)
    run = subprocess.run([str(py), str(Path(__file__).resolve()), "--worker"], capture_output=True,
                         text=True, env={**os.environ, "JAX_PLATFORMS": "cpu"})
    if run.returncode != 0:
        sys.stderr.write(run.stderr)
        raise SystemExit(f"the neural-tangents worker failed (exit {run.returncode})")
    got = json.loads(run.stdout)
    if got["versions"] != VERSIONS or not got["x64"]:
        raise SystemExit(f"unexpected worker environment: {got['versions']}, x64 = {got['x64']}")
    cases = _cases()
    doc = {
        "about": "NNGP and NTK of motifs computed by neural-tangents (an external oracle); "
                 "written by tests/reference/make_nt_values.py, whose docstring gives the mapping",
        "versions": got["versions"], "x64": got["x64"],
        "inputs": {"X": [list(r) for r in INPUTS], "d": len(INPUTS[0]),
                   "K0": "X X^T / d (neural-tangents' input kernel)", "K0_nt": got["K0"]},
        "conventions": {
            "post": "edge output sqrt(c_sigma) relu(W x + b), W_ij ~ N(0, 1/fan_in), b ~ N(0, sigma_b^2)",
            "pre": "edge output sqrt(c_sigma) W relu(x) + b; node 0 a centred Gaussian field, covariance K0",
            "readout": "true: a final Dense(1, W_std=1, b_std=0), trained; false: the output node's own "
                       "kernels per coordinate",
            "nt_expected": "exact: neural-tangents computes the true limit; wrong: it assumes "
                           "independent branches where two skip paths from one node meet",
        },
        "cases": [{**case, **vals} for case, vals in zip(cases, got["values"], strict=True)],
        "refusals": got["refusals"],
    }
    # one case per line: small diffs when a case changes
    lines = ["{", *(f" {json.dumps(k)}: {json.dumps(v)}," for k, v in doc.items()
                    if k not in ("cases", "refusals")), ' "cases": [',
             ",\n".join("  " + json.dumps(c) for c in doc["cases"]), " ],",
             ' "refusals": [', ",\n".join("  " + json.dumps(c) for c in doc["refusals"]), " ]", "}"]
    tmp = tempfile.NamedTemporaryFile("w", dir=args.out.parent, suffix=".tmp", delete=False)
    with tmp:
        tmp.write("\n".join(lines) + "\n")
    os.chmod(tmp.name, 0o644)
    os.replace(tmp.name, args.out)
    print(f"wrote {len(doc['cases'])} cases to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
