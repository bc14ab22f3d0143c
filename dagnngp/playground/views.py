"""What the playground shows for a motif, as plain JSON-ready dicts.

Every number on the page comes from :func:`compute_views`, which takes an
untrusted request (a dict decoded from JSON) and either returns the views or
raises :class:`RequestError` with a one-line message for the page.  Nothing
here knows about HTTP, so the same views serve the browser page and the
Jupyter display (:func:`dagnngp.playground.widget`).

The kernels are evaluated for two unit-norm, per-sample-centred inputs with
correlation ``C`` (:func:`dagnngp.numerics.pair_gram`); all correlations of the
grid go through one call per model, with the pairs as the blocks of a
block-diagonal input Gram (the pairs do not interact in the recursion, which
acts on each ``2 x 2`` block entrywise).

>>> v = compute_views({"motifs": ["2_21_112"], "C": 0.5})
>>> round(v["results"][0]["at_C"]["exact"]["gap"], 5)
1.5432
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from dagnngp.motif import Motif, MotifError

__all__ = [
    "ACTIVATIONS",
    "EDGES",
    "MAX_COMPARE",
    "MAX_DEPTH",
    "MAX_PLAYGROUND_NODES",
    "RequestError",
    "compute_views",
    "motif_from_text",
    "parse_options",
]

#: Activations offered on the page (name -> label); all have closed-form or quadrature dual maps.
ACTIVATIONS: dict[str, str] = {
    "relu": "ReLU",
    "leaky": "leaky ReLU (slope 0.01)",
    "step": "step",
    "arccos2": "squared ReLU",
    "gelu": "GELU",
}
#: Largest motif the page draws and evaluates live (the issue's target is 8 nodes; 10 leaves room).
MAX_PLAYGROUND_NODES = 10
#: Motifs compared side by side.
MAX_COMPARE = 4
#: Deepest stack of cells in the depth plot.
MAX_DEPTH = 30
#: Longest text accepted as a motif or cell string.
MAX_TEXT = 400
#: Correlations of the gap plots.
C_GRID = np.round(np.linspace(-1.0, 1.0, 41), 10)
#: Nearest approach to C = 1 when the rate ``gap / (1 - C)`` is read off.
RATE_EPS = 1e-6
#: Edge conventions (name -> label): where a linear edge applies its activation.
EDGES: dict[str, str] = {
    "post": "post-activation: X_t += sqrt(c/m) s(W X_s + b)",
    "pre": "pre-activation: X_t += sqrt(c/m) W s(X_s) + b",
}


class RequestError(ValueError):
    """A request the playground cannot serve; the message is shown on the page as it is."""


def motif_from_text(text: object) -> Motif:
    """A motif from a motif string (``2_21_112``) or a NAS-Bench-201 cell string (``|op~0|+...``).

    >>> str(motif_from_text("|nor_conv_3x3~0|+|skip_connect~0|nor_conv_3x3~1|"))
    '2_12'
    >>> motif_from_text("2_2x")
    Traceback (most recent call last):
    ...
    dagnngp.playground.views.RequestError: '2_2x': group 2 ('2x') has the character 'x' ...
    """
    if not isinstance(text, str):
        raise RequestError(f"a motif must be given as text, e.g. 2_21_112, not {type(text).__name__}")
    raw = text.strip()
    if len(raw) > MAX_TEXT:
        raise RequestError(f"the motif text has {len(raw)} characters; the playground takes at most "
                           f"{MAX_TEXT}")
    try:
        if raw.startswith("|"):
            from dagnngp.nas import parse_nb201

            motif = parse_nb201(raw).motif
        else:
            motif = Motif.parse(raw)
    except MotifError as exc:
        raise RequestError(str(exc)) from None
    if motif.n_nodes > MAX_PLAYGROUND_NODES:
        raise RequestError(f"the motif has {motif.n_nodes} nodes; the playground draws at most "
                           f"{MAX_PLAYGROUND_NODES} (use the command line for larger ones)")
    return motif


def _number(request: dict, key: str, default: float, lo: float, hi: float) -> float:
    value = request.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise RequestError(f"{key} must be a number, got {str(value)[:40]!r}")
    try:
        x = float(value)
    except ValueError:
        raise RequestError(f"{key} must be a number, got {str(value)[:40]!r}") from None
    if not math.isfinite(x) or not lo <= x <= hi:
        raise RequestError(f"{key} must lie in [{lo:g}, {hi:g}], got {str(value)[:40]}")
    return x


def _integer(request: dict, key: str, default: int, lo: int, hi: int) -> int:
    x = _number(request, key, default, lo, hi)
    if x != int(x):
        raise RequestError(f"{key} must be a whole number, got {x:g}")
    return int(x)


def _flag(request: dict, key: str, default: bool) -> bool:
    value = request.get(key, default)
    if not isinstance(value, bool):
        raise RequestError(f"{key} must be true or false, got {str(value)[:40]!r}")
    return value


def parse_options(request: object) -> dict[str, Any]:
    """Validated kernel options of a request: activation, ``sigma_b``, the edge convention, the NTK's
    readout, the correlation ``C`` and the depth.

    ``c_sigma`` is not a choice: it is the activation's variance-preserving value
    (2 for ReLU), so that depth alone moves the correlations.  ``edge`` is
    ``"post"`` (the paper's, default) or ``"pre"`` (see :data:`EDGES`);
    ``readout`` (default true) selects the NTK of a network whose readout is
    trained too (``K_H + Theta_H``) or, when false, the output node's own NTK
    ``Theta_H``.

    >>> parse_options({"activation": "relu", "C": 0.5})["c_sigma"]
    2.0
    >>> parse_options({"edge": "pre", "readout": False})["edge"]
    'pre'
    >>> parse_options({"C": 2})
    Traceback (most recent call last):
    ...
    dagnngp.playground.views.RequestError: C must lie in [-1, 1], got 2
    """
    if not isinstance(request, dict):
        raise RequestError("the request must be a JSON object")
    activation = request.get("activation", "relu")
    if activation not in ACTIVATIONS:
        raise RequestError(f"activation {str(activation)[:40]!r} is not offered; choose one of "
                           + ", ".join(ACTIVATIONS))
    from dagnngp.numerics.finite import variance_preserving_c_sigma

    edge = request.get("edge", "post")
    if edge not in EDGES:
        raise RequestError(f"edge {str(edge)[:40]!r} is not a convention; choose 'post' or 'pre'")
    params = {"slope": 0.01} if activation == "leaky" else {}
    return {
        "edge": edge,
        "readout": _flag(request, "readout", True),
        "activation": activation,
        "activation_params": params,
        "c_sigma": float(variance_preserving_c_sigma(activation, params)),
        "sigma_b": _number(request, "sigma_b", 0.0, 0.0, 10.0),
        "C": _number(request, "C", 0.5, -1.0, 1.0),
        "depth": _integer(request, "depth", 12, 1, MAX_DEPTH),
    }


#: The options every kernel, network and derivation of the playground is given.
KERNEL_KEYS = ("activation", "activation_params", "c_sigma", "sigma_b", "edge")


def kernel_kwargs(opts: dict[str, Any]) -> dict[str, Any]:
    """The keyword arguments of ``nngp``, ``ntk``, ``monte_carlo`` and ``FiniteNetwork`` in ``opts``."""
    return {k: opts[k] for k in KERNEL_KEYS}


def _block_pairs(Cs: np.ndarray) -> np.ndarray:
    """Block-diagonal Gram of ``len(Cs)`` independent unit pairs, pair ``k`` with correlation ``Cs[k]``."""
    n = len(Cs)
    K0 = np.zeros((2 * n, 2 * n))
    idx = np.arange(n)
    K0[2 * idx, 2 * idx] = K0[2 * idx + 1, 2 * idx + 1] = 1.0
    K0[2 * idx, 2 * idx + 1] = K0[2 * idx + 1, 2 * idx] = Cs
    return K0


def _pair_stats(G: np.ndarray) -> dict[str, list[float]]:
    """Per pair block: diagonal, off-diagonal, 2x2 least eigenvalue and the scale-free ratios."""
    a, b, c = np.diagonal(G)[0::2], np.diagonal(G, 1)[0::2], np.diagonal(G)[1::2]
    half = 0.5 * (a + c)
    root = np.sqrt((0.5 * (a - c)) ** 2 + b * b)
    lo, hi = half - root, half + root
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(hi > 0, lo / hi, np.nan)
        over_diag = np.where(half > 0, lo / half, np.nan)
    return {"diagonal": _clean(half), "offdiagonal": _clean(b), "gap": _clean(lo),
            "eig_ratio": _clean(ratio), "gap_over_diagonal": _clean(over_diag)}


def _clean(x: np.ndarray) -> list[float | None]:
    """JSON has no NaN: undefined points become ``None`` (a break in the plotted line)."""
    return [float(v) if math.isfinite(v) else None for v in np.asarray(x, dtype=float).ravel()]


def ntk_function():
    """``dagnngp.numerics.ntk`` where the installed toolkit has it, else ``None``."""
    import dagnngp.numerics as numerics

    try:
        return numerics.ntk
    except AttributeError:
        return None


def _curves(m: Motif, Cs: np.ndarray, opts: dict[str, Any]) -> dict[str, Any]:
    from dagnngp.numerics import nngp

    K0 = _block_pairs(Cs)
    ntk = ntk_function()
    out: dict[str, Any] = {}
    for model in ("exact", "paper"):
        res = nngp(m, K0, None, model=model, check_psd=False, **kernel_kwargs(opts))
        out[model] = {"nngp": _pair_stats(res.output)}
        if ntk is not None:
            tk = ntk(m, K0, None, model=model, check_psd=False, readout=opts["readout"],
                     **kernel_kwargs(opts))
            out[model]["ntk"] = _pair_stats(np.asarray(tk.ntk))
    return out


def _stacked(m: Motif, C: float, depth: int, opts: dict[str, Any]) -> dict[str, list[float | None]]:
    """Correlation of the output for a stack of ``L = 0..depth`` copies of the cell.

    Cell ``l + 1`` takes cell ``l``'s output Gram and means as its input node.
    """
    from dagnngp.numerics import nngp, pair_gram

    out: dict[str, list[float | None]] = {}
    for model in ("exact", "paper"):
        K, mu = pair_gram(C)
        corr = [C]
        for _ in range(depth):
            try:
                with np.errstate(all="ignore"):
                    res = nngp(m, K, mu if model == "exact" else None, model=model, check_psd=False,
                               **kernel_kwargs(opts))
            except ValueError:  # the Gram overflowed float64: the stack ends there
                corr.append(None)
                break
            K, mu = res.output, res.output_mean
            d = math.sqrt(K[0, 0] * K[1, 1])
            if not (d > 0 and math.isfinite(d)):
                corr.append(None)
                break
            corr.append(float(K[0, 1] / d))
        out[model] = corr
    return out


def _motif_info(m: Motif) -> dict[str, Any]:
    d_bar, m_bar = m.effective_depth_width()
    return {
        "motif": str(m),
        "n_nodes": m.n_nodes,
        "edges": [[s, t, int(op), m.weight(s, t)] for s, t, op in m.edges()],
        "weighted": m.weighted,
        "n_linear": m.n_linear,
        "paths": m.n_paths,
        "path_depths": list(m.paths()),
        "effective_depth": _clean(np.array([d_bar]))[0],
        "effective_width": _clean(np.array([m_bar]))[0],
    }


def rule12_unavailable(m: Motif, opts: dict[str, Any]) -> str | None:
    """Why the paper's rule (12) does not apply to this motif and these options (``None`` when it does).

    The rule ``P - sum_p h^{d_p}(C)`` is the paper model's gap for ReLU without
    bias, post-activation edges and unit edge weights.

    >>> rule12_unavailable(Motif.parse("2_21"), parse_options({"edge": "pre"}))
    "rule (12) is the paper's for post-activation edges"
    """
    if opts["activation"] != "relu" or opts["sigma_b"] != 0.0:
        return "rule (12) is the paper's for ReLU without bias"
    if opts["edge"] != "post":
        return "rule (12) is the paper's for post-activation edges"
    if m.weighted:
        return "rule (12) counts paths of unit-weight edges"
    return None


def motif_views(m: Motif, opts: dict[str, Any]) -> dict[str, Any]:
    """Every plotted number for one motif (see :func:`compute_views`)."""
    from dagnngp.numerics import rule12

    C = opts["C"]
    Cs = np.concatenate([C_GRID, [C, 1.0 - RATE_EPS]])
    try:
        curves = _curves(m, Cs, opts)
    except ValueError as exc:
        raise RequestError(f"{m}: {exc}") from None
    result: dict[str, Any] = _motif_info(m)
    n = len(C_GRID)
    result["curves"] = {
        model: {kind: {k: v[:n] for k, v in stats.items()} for kind, stats in by_kind.items()}
        for model, by_kind in curves.items()
    }
    result["at_C"] = {
        model: {k: v[n] for k, v in by_kind["nngp"].items()} for model, by_kind in curves.items()
    }
    for model, by_kind in curves.items():
        if "ntk" in by_kind:
            result["at_C"][model]["ntk_gap"] = by_kind["ntk"]["gap"][n]
    # the rate: gap ~ kappa (1 - C) as C -> 1, and the same per unit diagonal (scale free)
    result["rates"] = {}
    for model, by_kind in curves.items():
        gap, diag = by_kind["nngp"]["gap"][n + 1], by_kind["nngp"]["diagonal"][n + 1]
        kappa = gap / RATE_EPS if gap is not None else None
        result["rates"][model] = {
            "kappa": kappa,
            "kappa_over_diagonal": kappa / diag if kappa is not None and diag else None,
        }
    why_not = rule12_unavailable(m, opts)
    result["rule12_note"] = why_not
    if why_not is None:
        result["rule12"] = _clean(rule12(m, C_GRID))
        result["at_C"]["rule12"] = float(rule12(m, C))
    else:
        result["rule12"] = None
        result["at_C"]["rule12"] = None
    result["stacked"] = _stacked(m, C, opts["depth"], opts)
    return result


def compute_views(request: object) -> dict[str, Any]:
    """Validate a request and compute the views of up to :data:`MAX_COMPARE` motifs.

    ``request``: ``{"motifs": [text, ...], "C": float, "activation": name,
    "sigma_b": float, "edge": "post" | "pre", "readout": bool, "depth": int}``;
    every key but ``motifs`` is optional.  A motif string may carry edge weights
    (``2_2(0.5)1_112``).
    Returns ``{"options": ..., "C_grid": [...], "ntk": bool, "results": [...]}``,
    one result per motif, in order.

    >>> v = compute_views({"motifs": ["2_02_002", "1_01_222"], "C": 0.0})
    >>> [round(r["at_C"]["paper"]["gap"], 5) for r in v["results"]]
    [0.39517, 2.04507]
    >>> compute_views({"motifs": []})
    Traceback (most recent call last):
    ...
    dagnngp.playground.views.RequestError: give at least one motif, e.g. 2_21_112
    """
    opts = parse_options(request)
    motifs = request.get("motifs")  # type: ignore[union-attr]
    if not isinstance(motifs, list) or not motifs:
        raise RequestError("give at least one motif, e.g. 2_21_112")
    if len(motifs) > MAX_COMPARE:
        raise RequestError(f"{len(motifs)} motifs given; the playground compares at most {MAX_COMPARE}")
    parsed = [motif_from_text(t) for t in motifs]
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # variance warnings cannot occur: c_sigma preserves the variance
        results = [motif_views(m, opts) for m in parsed]
    return {
        "options": {k: opts[k] for k in ("activation", "sigma_b", "edge", "readout", "C", "depth",
                                         "c_sigma")},
        "C_grid": [float(c) for c in C_GRID],
        "ntk": ntk_function() is not None,
        "results": results,
    }

