"""Long computations of the playground, off the request path and cancellable.

A request for a Monte Carlo overlay, a training run or a derivation is first
validated in full (:func:`plan_monte_carlo`, :func:`plan_training`,
:func:`plan_derivation`: a bad value or a size above the limits raises
:class:`~dagnngp.playground.views.RequestError` or
:class:`~dagnngp.limits.ResourceLimitError` before anything starts), then runs
in a :class:`JobManager` thread that reports its progress and checks for a
cancel between chunks of work.  A derivation (SymPy, which cannot be
interrupted from a thread) runs in a child process that a cancel terminates.

>>> jobs = JobManager()
>>> plan = plan_monte_carlo({"motif": "2_21_112", "width": 64, "draws": 4, "C_points": [0.5]})
>>> job = jobs.submit("mc", plan)
>>> jobs.wait(job.id, timeout=60).status
'done'
>>> round(job.result["exact_gap"][0], 4)
1.5432
"""

from __future__ import annotations

import math
import multiprocessing
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from dagnngp.limits import check_memory, check_work
from dagnngp.playground.views import (
    RequestError,
    _flag,
    _integer,
    _number,
    _pair_stats,
    kernel_kwargs,
    motif_from_text,
    ntk_function,
    parse_options,
    rule12_unavailable,
)

__all__ = [
    "Cancelled",
    "Job",
    "JobManager",
    "MAX_WIDTH",
    "plan_derivation",
    "plan_monte_carlo",
    "plan_training",
]

#: Widest network the playground builds (Monte Carlo and training).
MAX_WIDTH = 8192
#: Most weight draws of one Monte Carlo overlay.
MAX_DRAWS = 400
#: Most gradient steps, inputs and seeds of one training run.
MAX_STEPS, MAX_INPUTS, MAX_SEEDS = 5000, 32, 16
#: Work (elementary operations) one job may take: about a minute on a laptop core.
WORK_LIMIT = 2e11
#: Jobs running at once; a further request is refused until one ends.
MAX_RUNNING = 2
#: Seconds a derivation may take before it is stopped.
DERIVE_SECONDS = 60.0
#: Finished jobs kept for polling.
KEEP_FINISHED = 64


class Cancelled(Exception):
    """Raised inside a job's work when its cancel was requested."""


@dataclass
class Job:
    """One background computation and what the page polls: status, progress (0..1), result or error."""

    id: str
    kind: str
    status: str = "running"  # running, done, cancelled, failed
    progress: float = 0.0
    message: str = ""
    result: Any = None
    error: str | None = None
    started: float = field(default_factory=time.monotonic)
    elapsed: float = 0.0
    cancel_event: threading.Event = field(default_factory=threading.Event)
    done_event: threading.Event = field(default_factory=threading.Event)

    def snapshot(self) -> dict[str, Any]:
        """The JSON the page polls."""
        return {"id": self.id, "kind": self.kind, "status": self.status, "progress": self.progress,
                "message": self.message, "result": self.result, "error": self.error,
                "elapsed": self.elapsed if self.done_event.is_set() else time.monotonic() - self.started}


class Context:
    """What a job's work sees: ``report(fraction, message)`` and ``check()`` (raises :class:`Cancelled`)."""

    def __init__(self, job: Job) -> None:
        self._job = job

    def report(self, fraction: float, message: str = "") -> None:
        self._job.progress = min(max(float(fraction), 0.0), 1.0)
        if message:
            self._job.message = message
        self.check()

    def check(self) -> None:
        if self._job.cancel_event.is_set():
            raise Cancelled

    @property
    def cancelled(self) -> threading.Event:
        return self._job.cancel_event


Work = Callable[[Context], Any]


class JobManager:
    """Runs jobs in daemon threads, at most :data:`MAX_RUNNING` at once."""

    def __init__(self, max_running: int = MAX_RUNNING) -> None:
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self.max_running = max_running

    def submit(self, kind: str, work: Work) -> Job:
        """Start ``work(context)`` in a thread; refuses when :attr:`max_running` jobs are running."""
        with self._lock:
            running = [j for j in self._jobs.values() if j.status == "running"]
            if len(running) >= self.max_running:
                raise RequestError(f"{len(running)} computations are running; wait for one to finish "
                                   "or cancel it")
            job = Job(uuid.uuid4().hex[:12], kind)
            self._jobs[job.id] = job
            finished = [j for j in self._jobs.values() if j.status != "running"]
            for old in finished[:-KEEP_FINISHED]:
                del self._jobs[old.id]
        threading.Thread(target=self._run, args=(job, work), daemon=True, name=f"playground-{kind}").start()
        return job

    def _run(self, job: Job, work: Work) -> None:
        try:
            job.result = work(Context(job))
            job.status, job.progress = "done", 1.0
        except Cancelled:
            job.status = "cancelled"
        except (ValueError, MemoryError, ArithmeticError) as exc:  # refusals and numeric failures
            job.status, job.error = "failed", " ".join(str(exc).split())[:400] or type(exc).__name__
        except Exception as exc:  # noqa: BLE001 - reported on the page as one line, never a traceback
            job.status, job.error = "failed", f"internal error ({type(exc).__name__}): {str(exc)[:300]}"
        finally:
            job.elapsed = time.monotonic() - job.started
            job.done_event.set()

    def get(self, job_id: str) -> Job:
        """The job with this id; :class:`RequestError` for an unknown one."""
        job = self._jobs.get(job_id) if isinstance(job_id, str) else None
        if job is None:
            raise RequestError(f"no computation with id {str(job_id)[:40]!r} "
                               "(finished long ago or never started)")
        return job

    def cancel(self, job_id: str) -> Job:
        """Ask a job to stop; it ends at its next check (a derivation's process is terminated)."""
        job = self.get(job_id)
        job.cancel_event.set()
        return job

    def wait(self, job_id: str, timeout: float | None = None) -> Job:
        """Block until the job ends (for scripts and tests)."""
        job = self.get(job_id)
        job.done_event.wait(timeout)
        return job

    def cancel_all(self) -> None:
        """Cancel every running job (at server shutdown)."""
        for job in list(self._jobs.values()):
            job.cancel_event.set()


# ---------------------------------------------------------------- inputs
def pair_inputs(Cs: list[float], seed: int = 0) -> np.ndarray:
    """``2 len(Cs)`` unit-norm, per-sample-centred rows; rows ``2k, 2k+1`` have correlation ``Cs[k]``.

    >>> X = pair_inputs([0.5, -1.0])
    >>> np.round(X @ X.T, 12)[[0, 2], [1, 3]].tolist(), bool(np.abs(X.sum(axis=1)).max() < 1e-12)
    ([0.5, -1.0], True)
    """
    n = 2 * len(Cs)
    basis = _centred_basis(n, seed)
    rows = []
    for k, C in enumerate(Cs):
        e1, e2 = basis[2 * k], basis[2 * k + 1]
        rows += [e1, C * e1 + math.sqrt(max(0.0, 1.0 - C * C)) * e2]
    return np.array(rows)


def _centred_basis(n: int, seed: int) -> np.ndarray:
    """``n`` orthonormal vectors of dimension ``n + 1`` whose coordinates sum to zero."""
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((n + 1, n))
    A -= A.mean(axis=0)
    Q, _ = np.linalg.qr(A)
    return Q.T


def random_inputs(n: int, seed: int = 0) -> np.ndarray:
    """``n`` random unit-norm, per-sample-centred rows of dimension ``n + 1`` (distinct, full rank)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, n + 1))
    X -= X.mean(axis=1, keepdims=True)
    return X / np.linalg.norm(X, axis=1, keepdims=True)


def _motif_for_job(request: dict) -> Any:
    return motif_from_text(request.get("motif"))


# ------------------------------------------------------------ Monte Carlo
def gap_of_mean_gram(samples: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per input pair: the 2x2 gap of the mean Gram over draws and its delta-method standard error.

    ``samples`` is ``draws x 2n x 2n``, the output Grams of independent networks
    on :func:`pair_inputs`; pair ``k`` is rows ``2k, 2k + 1``.  The gap
    ``lambda(a, b, c) = (a + c)/2 - sqrt(((a - c)/2)^2 + b^2)`` of the mean
    ``[[a, b], [b, c]]`` is linearised around the mean, so its standard error is
    that of the mean of ``grad lambda . (a_i, b_i, c_i)`` over draws ``i``.

    >>> G = np.array([[[2.0, 1.0], [1.0, 2.0]], [[4.0, 1.0], [1.0, 4.0]]])
    >>> gap, se = gap_of_mean_gram(G)
    >>> gap.tolist(), se.tolist()  # mean [[3, 1], [1, 3]]: gap 2; the draws' gaps 1 and 3
    ([2.0], [1.0])
    """
    a, b, c = samples[:, 0::2, 0::2], samples[:, 0::2, 1::2], samples[:, 1::2, 1::2]
    idx = np.arange(a.shape[1])
    a, b, c = a[:, idx, idx], b[:, idx, idx], c[:, idx, idx]
    ma, mb, mc = a.mean(axis=0), b.mean(axis=0), c.mean(axis=0)
    half_diff = 0.5 * (ma - mc)
    root = np.sqrt(half_diff ** 2 + mb ** 2)
    gap = 0.5 * (ma + mc) - root
    safe = np.where(root > 0, root, 1.0)  # at a double eigenvalue the gap's gradient in b is 0
    da, db, dc = 0.5 - 0.5 * half_diff / safe, -mb / safe, 0.5 + 0.5 * half_diff / safe
    lin = da * a + db * b + dc * c
    return gap, lin.std(axis=0, ddof=1) / math.sqrt(samples.shape[0])


def plan_monte_carlo(request: object) -> Work:
    """Validate a Monte Carlo request; returns the work that measures the 2x2 gap at finite width.

    ``request``: ``motif``, ``width`` (8..8192), ``draws`` (2..400), ``C_points`` (up to 8
    correlations; default -0.5, 0, 0.9 and the page's ``C``), ``seed``
    and the kernel options of :func:`~dagnngp.playground.views.parse_options`
    (the edge convention and the NTK's readout included; edge weights come with
    the motif string); ``ntk`` (default false) adds the empirical NTK of
    networks with explicit weights
    (:func:`~dagnngp.numerics.sampling.monte_carlo_ntk`, the same draws count).

    The result holds, per correlation, the 2x2 gap of the output Gram averaged
    over draws (``gap_mean``), its standard error (``gap_stderr``, see
    :func:`gap_of_mean_gram`) and the exact model's gap (``exact_gap``).  The
    gap of the mean Gram, not the mean of each network's gap: the least
    eigenvalue is concave, so the latter is biased low by an amount that does
    not shrink with more draws (of order ``width^-1/2`` where the off-diagonal
    entry is near zero).  With ``ntk`` it holds the same for the NTK
    (``ntk_gap_mean``, ``ntk_gap_stderr``, ``ntk_exact_gap``).
    """
    opts = parse_options(request)
    assert isinstance(request, dict)
    m = _motif_for_job(request)
    width = _integer(request, "width", 256, 8, MAX_WIDTH)
    draws = _integer(request, "draws", 20, 2, MAX_DRAWS)
    seed = _integer(request, "seed", 0, 0, 2**31 - 1)
    default = sorted({-0.5, 0.0, 0.9, opts["C"]})
    Cs = request.get("C_points", default)
    if not isinstance(Cs, list) or not 1 <= len(Cs) <= 8:
        raise RequestError("C_points must be a list of 1 to 8 correlations for the Monte Carlo overlay")
    Cs = [_number({"C_points": c}, "C_points", 0.0, -1.0, 1.0) for c in Cs]
    n_inputs = 2 * len(Cs)
    if width < n_inputs + 1:
        raise RequestError(f"width {width} is too small for {n_inputs} inputs of dimension {n_inputs + 1}")
    from dagnngp.numerics.sampling import resource_estimate

    mem, work = resource_estimate(m.n_nodes, m.n_linear, width, draws, n_inputs=n_inputs)
    with_ntk = _flag(request, "ntk", False)
    what = f"a Monte Carlo run at width {width} with {draws} draws"
    if with_ntk:
        from dagnngp.numerics.sampling import ntk_resource_estimate

        if ntk_function() is None:
            raise RequestError("the NTK overlay needs dagnngp.numerics.ntk, which this installation lacks")
        what += " and the empirical NTK"
        mem = max(mem, ntk_resource_estimate(m.n_linear, width, n_inputs, m.n_nodes))
        # per draw and linear edge: the m x m weights drawn, the forward and backward products
        work += float(draws) * (max(m.n_linear, 1) * width * width * (2.0 + 6.0 * n_inputs)
                                + 4.0 * m.n_nodes * width * n_inputs * n_inputs)
    check_memory(mem, what, option=None)
    check_work(work, what, WORK_LIMIT, "operations",
               note=" (the playground's limit; use dagnngp mc for larger runs)")
    kw = kernel_kwargs(opts)

    def work_fn(ctx: Context) -> dict[str, Any]:
        from dagnngp.numerics import monte_carlo, nngp, pair_gram

        X = pair_inputs(Cs, seed)
        share = 0.5 if with_ntk else 1.0  # of the progress bar

        def sampled(draw: Callable[[int, int], np.ndarray], label: str, start: float) -> np.ndarray:
            out: list[np.ndarray] = []
            while len(out) < draws:  # two draws per call (the samplers want two for a standard error)
                out.extend(draw(2, len(out)))
                done = min(len(out), draws)
                ctx.report(start + share * done / draws, f"{label}{done} of {draws} draws")
            return np.array(out[:draws])

        grams = sampled(lambda k, done: np.asarray(monte_carlo(
            m, X, width, k, seed=seed * 100003 + done, progress=False, **kw).samples), "", 0.0)
        gap, stderr = gap_of_mean_gram(grams)
        exact = []
        for C in Cs:
            K0, _ = pair_gram(C)
            exact.append(_pair_stats(nngp(m, K0, model="exact", **kw).output)["gap"][0])
        result = {"motif": str(m), "width": width, "draws": len(grams), "C": Cs, "edge": opts["edge"],
                  "activation": opts["activation"], "sigma_b": opts["sigma_b"],
                  "gap_mean": gap.tolist(), "gap_stderr": stderr.tolist(), "exact_gap": exact}
        if with_ntk:
            from dagnngp.numerics import ntk
            from dagnngp.numerics.sampling import monte_carlo_ntk

            thetas = sampled(lambda k, done: monte_carlo_ntk(
                m, X, width, k, seed=seed * 100003 + 50021 + done, readout=opts["readout"], progress=False,
                **kw).samples, "NTK: ", 0.5)
            gap, stderr = gap_of_mean_gram(thetas)
            exact = []
            for C in Cs:
                K0, _ = pair_gram(C)
                theta = ntk(m, K0, None, model="exact", readout=opts["readout"], **kw).ntk
                exact.append(_pair_stats(np.asarray(theta))["gap"][0])
            result.update({"readout": opts["readout"], "ntk_gap_mean": gap.tolist(),
                           "ntk_gap_stderr": stderr.tolist(), "ntk_exact_gap": exact})
        return result

    return work_fn


# ---------------------------------------------------------------- training
def _step_rule(request: dict) -> Any:
    """The request's ``lr``: a step (a number) or a :class:`dagnngp.training.StepRule` (``"max:0.5"``)."""
    from dagnngp.training import StepRule

    value = request.get("lr", 0.05)
    if isinstance(value, str) and ":" in value:
        if len(value) > 40:
            raise RequestError("lr must be a step such as 0.05 or a rule such as max:0.5")
        try:
            return StepRule.parse(value)
        except ValueError as exc:
            raise RequestError(f"lr: {exc}") from None
    return StepRule("fixed", _number(request, "lr", 0.05, 1e-9, 100.0))


def plan_training(request: object) -> Work:
    """Validate a training request; returns the work that trains finite networks beside the prediction.

    ``request``: ``motif``, ``width`` (8..8192), ``steps`` (1..5000), ``lr`` (the step ``eta``, or a
    step rule of :class:`dagnngp.training.StepRule`: ``"max:0.5"`` is ``0.5 / lambda_max`` of the
    NTK, ``"trace:1"`` is ``1 / trace``), ``n_inputs`` (2..32), ``seeds`` (1..16), ``trained``
    (``"all"``: every weight, bias and the readout, trained by :func:`dagnngp.training.train`;
    ``"readout"``: the readout only, an exactly linear model whose NTK is the NNGP ``K``) and the
    kernel options (edge convention included; edge weights come with the motif string).

    The losses are ``L_k = 1/2 ||u_k - y||^2``; the prediction is
    :class:`dagnngp.training.LossModel`'s expected loss of the infinitely wide network
    (:func:`dagnngp.training.predicted_loss` for ``"all"``), beside the paper's bound.
    """
    opts = parse_options(request)
    assert isinstance(request, dict)
    m = _motif_for_job(request)
    width = _integer(request, "width", 256, 8, MAX_WIDTH)
    steps = _integer(request, "steps", 200, 1, MAX_STEPS)
    n = _integer(request, "n_inputs", 8, 2, MAX_INPUTS)
    seeds = _integer(request, "seeds", 3, 1, MAX_SEEDS)
    rule = _step_rule(request)
    trained = request.get("trained", "readout")
    if trained not in ("readout", "all"):
        raise RequestError("trained must be 'readout' or 'all'")
    if width < n + 1:
        raise RequestError(f"width {width} is too small for {n} inputs of dimension {n + 1}")
    from dagnngp.training import DIVERGENCE, LossModel, initialise, network_bytes, output_kernels, train

    n_lin = max(m.n_linear, 1)
    check_memory(float(network_bytes(m, width, n)), f"training a width-{width} network", option=None)
    per_step = (2 * n_lin * width * width * n + m.n_nodes * width * n * n) * (3 if trained == "all" else 1)
    check_work(float(seeds) * steps * per_step + seeds * n_lin * width * width * n,
               f"{seeds} training runs of {steps} steps at width {width}", WORK_LIMIT, "operations",
               note=" (the playground's limit)")
    kw = kernel_kwargs(opts)
    X = random_inputs(n, seed=1)
    y = np.random.default_rng(2).standard_normal(n)
    theta, K = output_kernels(m, X, model="exact", **kw)
    model = LossModel.from_kernels(theta if trained == "all" else K, K, y)
    try:
        eta = model.check_step(rule.eta(model))
    except ValueError as exc:
        raise RequestError(str(exc)) from None
    net_kw = dict(kw, n_features=X.shape[1]) if opts["edge"] == "pre" else kw

    def readout_only(seed: int, report: Callable[[int, float], None]) -> np.ndarray:
        # features fixed, u = a . F: gradient descent on the readout a alone
        net = initialise(m, width, seed, n_inputs=n, **net_kw)  # the network train() starts from
        feats, a = net.forward(X)[0][-1], net.readout.copy()
        losses = np.full(steps + 1, np.nan)
        for k in range(steps + 1):
            r = a @ feats - y
            loss = 0.5 * float(r @ r)
            if not math.isfinite(loss) or (k > 0 and loss > DIVERGENCE * losses[0]):
                break
            losses[k] = loss
            report(k, loss)
            a -= eta * (feats @ r)
        return losses

    def work_fn(ctx: Context) -> dict[str, Any]:
        curves = np.full((seeds, steps + 1), np.nan)
        diverged = 0
        for s in range(seeds):
            def report(k: int, loss: float, s: int = s) -> None:
                if k % 10 == 0 or k == steps:
                    ctx.report((s + k / steps) / seeds, f"seed {s + 1} of {seeds}, step {k} of {steps}")

            if trained == "all":
                run = train(m, X, y, width=width, lr=eta, steps=steps, seed=s, progress=False,
                            callback=report, **kw)
                curves[s, :len(run.losses)] = run.losses
            else:
                curves[s] = readout_only(s, report)
            diverged += int(np.isnan(curves[s, -1]))
        ok = np.isfinite(curves)
        count = ok.sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            total = np.nansum(np.where(ok, curves, 0), axis=0)
            mean = np.where(count > 0, total / np.maximum(count, 1), np.nan)
            sd = np.sqrt(np.nansum(np.where(ok, (curves - mean) ** 2, 0), axis=0) / np.maximum(count - 1, 1))
            stderr = np.where(count > 1, sd / np.sqrt(np.maximum(count, 1)), np.nan)

        def clean(a: np.ndarray) -> list[float | None]:
            return [float(v) if math.isfinite(v) else None for v in a]

        return {"motif": str(m), "width": width, "steps": steps, "lr": eta, "rule": rule.label,
                "seeds": seeds, "n_inputs": n, "trained": trained, "edge": opts["edge"],
                "measured_mean": clean(mean), "measured_stderr": clean(stderr),
                "predicted": clean(model.loss(eta, steps)), "bound": clean(model.bound(eta, steps)),
                "lambda_min_K": model.nngp_lambda_min, "diverged": diverged}

    return work_fn


# -------------------------------------------------------------- derivation
def _without_rule12(latex: str) -> str:
    r"""The derivation without its ``R_{12}`` row (for options where the paper's rule does not apply).

    >>> _without_rule12("\\begin{align*}\na &= 1 \\\\\nR_{12} &= 2\n\\end{align*}")
    '\\begin{align*}\na &= 1\n\\end{align*}'
    """
    lines = latex.split("\n")
    out: list[str] = []
    for line in lines:
        if line.startswith("R_{12} &="):
            continue
        if line.startswith("\\end{align") and out and out[-1].endswith(" \\\\"):
            out[-1] = out[-1][:-3]
        out.append(line)
    return "\n".join(out)


def _derive_one(motif: str, model: str, kw: dict[str, Any], ntk: bool, rule12: bool) -> dict[str, Any]:
    """One closed form as LaTeX and its gap's series at ``C = 1 - eps`` (``None`` when too slow).

    ``rule12=False`` leaves out the paper's rule (12), which the derivation states whatever the options.
    """
    from dagnngp.theory import derive
    from dagnngp.theory.printing import derivation_latex

    d = derive(motif, model=model, general=False, ntk=ntk, **kw)
    body = derivation_latex(d, series_order=None)
    if not rule12:
        body = _without_rule12(body)
    try:
        s = d.series(2, at=1, time_limit=DERIVE_SECONDS / 6)
        import sympy

        series = sympy.latex(s.expr, symbol_names={d.eps: r"\varepsilon"})
    except Exception:  # noqa: BLE001 - the series is optional: too slow or not defined here
        series = None
    return {"latex": body, "series": series}


def _derive_in_child(conn: Any, motif: str, model: str, kw: dict[str, Any], readout: bool,
                     rule12: bool) -> None:  # pragma: no cover - runs in the child process
    try:
        out = _derive_one(motif, model, kw, ntk=False, rule12=rule12)
        ntk_kw = dict(kw, readout=readout)
        try:
            tangent = _derive_one(motif, model, ntk_kw, ntk=True, rule12=rule12)
            out.update({"ntk_latex": tangent["latex"], "ntk_series": tangent["series"], "ntk_error": None})
        except Exception as exc:  # noqa: BLE001 - the NNGP's closed form is still shown
            out.update({"ntk_latex": None, "ntk_series": None,
                        "ntk_error": " ".join(str(exc).split())[:400] or type(exc).__name__})
        conn.send(out)
    except Exception as exc:  # noqa: BLE001 - one line back to the page
        conn.send({"error": " ".join(str(exc).split())[:400] or type(exc).__name__})
    finally:
        conn.close()


def plan_derivation(request: object) -> Work:
    """Validate a derivation request (``motif``, ``model`` and the kernel options).

    The work runs :func:`dagnngp.theory.derive` in a child process (stopped after
    :data:`DERIVE_SECONDS` or on cancel), for the NNGP and for the NTK
    (``derive(..., ntk=True, readout=...)``) with the request's edge convention,
    and returns each recursion as LaTeX (``latex``, ``ntk_latex``) and each
    gap's series at ``C = 1 - eps`` (``series``, ``ntk_series``; ``None`` when
    it takes too long).
    """
    opts = parse_options(request)
    assert isinstance(request, dict)
    m = _motif_for_job(request)
    model = request.get("model", "exact")
    if model not in ("exact", "paper"):
        raise RequestError("model must be 'exact' or 'paper'")
    rule12 = rule12_unavailable(m, opts) is None

    def work_fn(ctx: Context) -> dict[str, Any]:
        mp = multiprocessing.get_context("spawn")
        parent, child = mp.Pipe(duplex=False)
        proc = mp.Process(target=_derive_in_child, args=(child, str(m), model, kernel_kwargs(opts),
                                                         opts["readout"], rule12), daemon=True)
        proc.start()
        child.close()
        start = time.monotonic()
        try:
            while not parent.poll(0.05):
                if ctx.cancelled.is_set():
                    raise Cancelled
                if not proc.is_alive() and not parent.poll(0.05):
                    raise RuntimeError("the derivation process ended without a result")
                if time.monotonic() - start > DERIVE_SECONDS:
                    raise RequestError(f"the closed-form derivation took more than {DERIVE_SECONDS:.0f} s; "
                                       "smaller motifs derive faster")
                ctx.report(min(0.95, (time.monotonic() - start) / DERIVE_SECONDS), "deriving")
            out = parent.recv()
        finally:
            if proc.is_alive():
                proc.terminate()
            proc.join(5)
            parent.close()
        if "error" in out:
            raise RequestError(out["error"])
        out.update({"motif": str(m), "model": model, "edge": opts["edge"], "readout": opts["readout"]})
        return out

    return work_fn
