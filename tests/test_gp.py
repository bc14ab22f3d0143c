"""GP inference with the motif kernels: posteriors, gradient-descent ensembles and the scikit-learn kernel."""

from __future__ import annotations

import sys
import warnings

import numpy as np
import pytest
import scipy.integrate
import scipy.linalg

from dagnngp.errors import VarianceWarning
from dagnngp.gp import SingularKernelError, gd_ensemble, gp_posterior, nngp_posterior, ntk_ensemble
from dagnngp.numerics import inputs_to_gram, nngp, ntk

# Fixed kernels with rational entries: 3 training and 2 test inputs.
_A = np.array([[1., 0., 2.], [0., 1., 1.], [1., 1., 0.], [2., -1., 1.], [0., 2., -1.]])
_B = np.array([[1., 1.], [0., 1.], [1., -1.], [2., 0.], [1., 2.]])
K5 = _A @ _A.T + 0.5 * np.eye(5)  # NNGP on [train; test]
TH5 = K5 + _B @ _B.T  # NTK
Y3 = np.array([1.0, -0.5, 2.0])

#: neural-tangents 0.6.5 (jax 0.4.38, x64): predict.gradient_descent_mse_ensemble(kernel_fn, x_train, y,
#: learning_rate=0.7, diag_reg=reg, diag_reg_absolute_scale=True)(t, x_test, "ntk", compute_cov=True)
#: with kernel_fn returning the blocks of K5 / TH5, and predict.gp_inference(..., diag_reg=0.25, absolute)
#: for the NNGP posterior.
NEURAL_TANGENTS = {
    (0.5, 0.0): ([0.9959876252396063, 0.07064432706650256],
                 [[3.6903388868265705, -2.2627399269891266], [-2.2627399269891266, 5.038797189222694]]),
    (3.0, 0.0): ([2.194549821343259, -0.16738710047426847],
                 [[2.3367774964033403, -0.6740994253917251], [-0.674099425391725, 3.8416039053132836]]),
    (None, 0.0): ([2.4485666104553117, -0.3591905564924114],
                  [[2.18792176289425, -0.5000298593199473], [-0.5000298593199481, 3.6061968041996435]]),
    (2.0, 0.3): ([1.904787357630368, -0.06134740488516238],
                 [[2.602491314318834, -1.0217325264134138], [-1.021732526413414, 4.165365468569449]]),
}
NT_GP_NOISE_025 = ([1.92964824120603, 0.5527638190954771],
                   [[2.5402010050251254, -1.0301507537688444], [-1.030150753768844, 2.0226130653266337]])


def _ensemble(t, reg=0.0, full=True, **kw):
    test = K5[3:, 3:] if full else np.diag(K5)[3:]
    return gd_ensemble(TH5[:3, :3], TH5[3:, :3], Y3, nngp_train=K5[:3, :3], nngp_test_train=K5[3:, :3],
                       nngp_test=test, t=t, learning_rate=0.7, diag_reg=reg, **kw)


@pytest.mark.parametrize(("t", "reg"), list(NEURAL_TANGENTS))
def test_gd_ensemble_matches_neural_tangents(t, reg):
    mean, cov = NEURAL_TANGENTS[(t, reg)]
    post = _ensemble(t, reg)
    np.testing.assert_allclose(post.mean, mean, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(post.cov, cov, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(_ensemble(t, reg, full=False).var, np.diag(cov), rtol=1e-12)


def test_gp_posterior_matches_neural_tangents_and_a_direct_solve():
    post = gp_posterior(K5[:3, :3], K5[3:, :3], Y3, K5[3:, 3:], noise=0.25)
    np.testing.assert_allclose(post.mean, NT_GP_NOISE_025[0], rtol=1e-12)
    np.testing.assert_allclose(post.cov, NT_GP_NOISE_025[1], rtol=1e-12, atol=1e-13)
    A = K5[:3, :3] + 0.25 * np.eye(3)
    np.testing.assert_allclose(post.mean, K5[3:, :3] @ np.linalg.solve(A, Y3), rtol=1e-13)
    np.testing.assert_allclose(post.cov, K5[3:, 3:] - K5[3:, :3] @ np.linalg.inv(A) @ K5[:3, 3:], rtol=1e-12)
    diag = gp_posterior(K5[:3, :3], K5[3:, :3], Y3, np.diag(K5)[3:], noise=0.25)
    np.testing.assert_allclose(diag.var, np.diag(post.cov), rtol=1e-13)
    assert diag.cov is None and gp_posterior(K5[:3, :3], K5[3:, :3], Y3).var is None


def test_gd_ensemble_mean_follows_gradient_flow():
    """The closed form against a numerical solution of df/dt = -(eta/N) Theta (f_train - y), f(0) = 0."""
    n, eta = 3, 0.7

    def rhs(_, f):
        r = f[:n] - Y3
        return -(eta / n) * np.concatenate([TH5[:3, :3] @ r, TH5[3:, :3] @ r])

    sol = scipy.integrate.solve_ivp(rhs, (0, 4.0), np.zeros(5), t_eval=[0.5, 4.0], rtol=1e-11, atol=1e-13)
    for k, t in enumerate((0.5, 4.0)):
        np.testing.assert_allclose(_ensemble(t).mean, sol.y[3:, k], rtol=1e-8)
        train = gd_ensemble(TH5[:3, :3], TH5[:3, :3], Y3, t=t, learning_rate=0.7)
        np.testing.assert_allclose(train.mean, sol.y[:3, k], rtol=1e-8)


def test_gd_ensemble_covariance_of_linearised_networks():
    """Monte Carlo: f_t = f_0 - Theta(x*, X) Theta^-1 (I - e^{-eta Theta t / N}) (f_0(X) - y), f_0 ~ GP(0, K).

    The transfer matrix is formed with scipy's expm (independent of the eigen-decomposition in the
    code).  Each of the 3 distinct covariance entries is compared within 5 standard errors of the
    sample covariance: false-alarm rate about 3 x 5.7e-7.
    """
    t, eta, n = 1.3, 0.7, 3
    T = TH5[3:, :3] @ np.linalg.solve(TH5[:3, :3], np.eye(3) - scipy.linalg.expm(-eta * t / n * TH5[:3, :3]))
    rng = np.random.default_rng(2024)
    draws = 200_000
    f0 = rng.multivariate_normal(np.zeros(5), K5, size=draws)
    ft = f0[:, 3:] - (f0[:, :3] - Y3) @ T.T
    post = _ensemble(t)
    np.testing.assert_allclose(post.mean, T @ Y3, rtol=1e-12)
    C = np.cov(ft.T)
    se = np.sqrt((np.outer(np.diag(C), np.diag(C)) + C**2) / draws)
    z = np.abs(C - post.cov) / se
    assert z.max() < 5, z


def test_time_limits_and_loss_convention():
    prior = _ensemble(0.0)
    np.testing.assert_array_equal(prior.mean, [0.0, 0.0])
    np.testing.assert_allclose(prior.cov, K5[3:, 3:], rtol=1e-14)
    np.testing.assert_allclose(_ensemble(1e6).mean, _ensemble(None).mean, rtol=1e-10)
    np.testing.assert_allclose(_ensemble(np.inf).cov, _ensemble(None).cov, rtol=1e-14)
    np.testing.assert_allclose(_ensemble(0.9, loss="sum").mean, _ensemble(2.7).mean, rtol=1e-13)  # N = 3
    conv = gd_ensemble(TH5[:3, :3], TH5[:3, :3], Y3, nngp_train=K5[:3, :3], nngp_test_train=K5[:3, :3],
                       nngp_test=K5[:3, :3])
    np.testing.assert_allclose(conv.mean, Y3, rtol=1e-12)  # converged networks interpolate
    np.testing.assert_allclose(conv.cov, 0.0, atol=1e-12)


def test_singular_kernels_are_a_clear_error():
    X = np.array([[1.0, 0.0], [0.6, 0.8], [1.0, 0.0]])  # a repeated training input
    y = np.array([1.0, 2.0, 1.0])
    with pytest.raises(SingularKernelError, match="diag_reg"):
        ntk_ensemble("2_21_112", X, y, X[:1])
    with pytest.raises(SingularKernelError, match="noise"):
        nngp_posterior("2_21_112", X, y, X[:1])
    assert np.isfinite(ntk_ensemble("2_21_112", X, y, X[:1], diag_reg=1e-6).mean).all()
    assert np.isfinite(ntk_ensemble("2_21_112", X, y, X[:1], t=5.0).mean).all()  # finite t needs no inverse
    with pytest.raises(SingularKernelError, match="not positive definite"):
        gp_posterior(-np.eye(2), np.ones((1, 2)), [1.0, 1.0])


@pytest.mark.parametrize(("kwargs", "match"), [
    (dict(t=-1.0), "t must be a time >= 0"),
    (dict(learning_rate=float("nan")), "learning_rate must be a finite number"),
    (dict(diag_reg=-1.0), "diag_reg must be a finite number"),
    (dict(loss="l1"), "loss='l1' is not known"),
    (dict(nngp_test=np.eye(2)), "needs nngp_train and nngp_test_train"),
])
def test_bad_ensemble_options(kwargs, match):
    with pytest.raises(ValueError, match=match):
        gd_ensemble(TH5[:3, :3], TH5[3:, :3], Y3, **kwargs)


def test_bad_shapes():
    with pytest.raises(ValueError, match="k_test_train must have shape"):
        gp_posterior(K5[:3, :3], K5[3:, :2], Y3)
    with pytest.raises(ValueError, match="y must be real targets"):
        gp_posterior(K5[:3, :3], K5[3:, :3], Y3[:2])
    with pytest.raises(ValueError, match="noise must be a finite number"):
        gp_posterior(K5[:3, :3], K5[3:, :3], Y3, noise=-1)
    with pytest.raises(ValueError, match="non-finite"):
        gp_posterior(K5[:3, :3], np.full((2, 3), np.nan), Y3)


def test_motif_level_functions_use_the_joint_kernels():
    rng = np.random.default_rng(3)
    Xtr, Xte = rng.normal(size=(12, 3)) + 0.3, rng.normal(size=(5, 3))
    y = rng.normal(size=(12, 2))  # two target columns share the covariance
    K0, mu0 = inputs_to_gram(np.vstack([Xtr, Xte]))
    K = nngp("2_21_112", K0, mu0, backend="numpy").output
    res = ntk("2_21_112", K0, mu0, backend="numpy")
    post = nngp_posterior("2_21_112", Xtr, y, Xte, noise=0.1, full_cov=True)
    A = K[:12, :12] + 0.1 * np.eye(12)
    np.testing.assert_allclose(post.mean, K[12:, :12] @ np.linalg.solve(A, y), rtol=1e-10)
    np.testing.assert_allclose(post.cov, K[12:, 12:] - K[12:, :12] @ np.linalg.solve(A, K[:12, 12:]),
                               rtol=1e-9, atol=1e-12)
    ens = ntk_ensemble("2_21_112", Xtr, y, Xte, t=2.0)
    Th = res.ntk
    T = Th[12:, :12] @ np.linalg.solve(Th[:12, :12], np.eye(12) - scipy.linalg.expm(-2.0 / 12 * Th[:12, :12]))
    np.testing.assert_allclose(ens.mean, T @ y, rtol=1e-9, atol=1e-12)
    Kn = res.nngp
    var = np.diag(Kn[12:, 12:] + T @ Kn[:12, :12] @ T.T - 2 * T @ Kn[:12, 12:])
    np.testing.assert_allclose(ens.var, var, rtol=1e-9, atol=1e-12)
    assert "kind='ntk'" in repr(ens) and len(repr(ens)) < 120


# ---------------------------------------------------------------- scikit-learn
sklearn = pytest.importorskip("sklearn", reason="scikit-learn is in the gp and test extras")


def _diabetes(n_train: int = 120, n_test: int = 40):
    from sklearn.datasets import load_diabetes
    from sklearn.preprocessing import StandardScaler

    X, y = load_diabetes(return_X_y=True)
    rng = np.random.default_rng(0)
    rows = rng.permutation(len(y))[: n_train + n_test]
    X = StandardScaler().fit_transform(X[rows])
    y = (y[rows] - y[rows].mean()) / y[rows].std()
    return X[:n_train], y[:n_train], X[n_train:], y[n_train:]


@pytest.mark.parametrize("kind", ["nngp", "ntk"])
def test_gaussian_process_regressor_on_diabetes(kind):
    """GPR with the motif kernel fits and predicts; its mean is a direct solve with the toolkit's kernels."""
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import WhiteKernel

    from dagnngp.gp import MotifKernel
    from dagnngp.numerics.cross import cross_kernel

    Xtr, ytr, Xte, yte = _diabetes()
    kernel = MotifKernel("2_02_002", kind=kind) + WhiteKernel(0.5, noise_level_bounds=(1e-4, 10.0))
    gpr = GaussianProcessRegressor(kernel, random_state=0).fit(Xtr, ytr)
    mean, std = gpr.predict(Xte, return_std=True)
    assert mean.shape == (40,) and np.all(std > 0)
    fitted = gpr.kernel_.k1
    assert 0.05 < fitted.c_sigma < 1.9  # the optimiser moved c_sigma (finite-difference gradients)
    # skill on held-out data: better than predicting the training mean (R^2 > 0.2; about 0.5 in practice)
    r2 = 1 - np.sum((yte - mean) ** 2) / np.sum((yte - ytr.mean()) ** 2)
    assert r2 > 0.2, r2
    # the posterior mean equals a direct linear solve with K(X_train, X_train) and K(X_test, X_train)
    s2 = gpr.kernel_.k2.noise_level + gpr.alpha
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", VarianceWarning)  # c_sigma is a fitted amplitude here
        Ktr = cross_kernel("2_02_002", Xtr, kind=kind, c_sigma=fitted.c_sigma)
        Kte = cross_kernel("2_02_002", Xte, Xtr, kind=kind, c_sigma=fitted.c_sigma)
    direct = Kte @ np.linalg.solve(Ktr + s2 * np.eye(len(ytr)), ytr)
    assert np.max(np.abs(mean - direct)) < 1e-10


def test_motif_kernel_is_a_scikit_learn_kernel():
    from sklearn.base import clone

    from dagnngp.gp import MotifKernel

    k = MotifKernel("2_02_002", c_sigma=2.5, kind="nngp")
    c = clone(k)
    assert c.get_params() == k.get_params() and c == k and c is not k
    assert k.get_params()["motif"] == "2_02_002" and not k.is_stationary()
    assert [h.name for h in k.hyperparameters] == ["c_sigma", "sigma_b"]
    np.testing.assert_allclose(k.theta, [np.log(2.5)])  # sigma_b is fixed by default
    X = np.random.default_rng(1).normal(size=(6, 3))
    with pytest.warns(Warning):
        ref = nngp("2_02_002", *inputs_to_gram(X), c_sigma=2.5).output
    K, G = k(X, eval_gradient=True)
    np.testing.assert_allclose(K, ref, rtol=1e-13)
    # a chain of 3 ReLU layers without bias is homogeneous of degree 3 in c_sigma: dK/dlog c = 3 K
    np.testing.assert_allclose(G[:, :, 0], 3 * K, rtol=1e-7)
    np.testing.assert_allclose(k.diag(X), np.diag(ref), rtol=1e-13)
    np.testing.assert_allclose(k(X[:2], X[2:]), ref[:2, 2:], rtol=1e-13)
    k2 = k.clone_with_theta(np.array([np.log(3.0)]))
    assert k2.c_sigma == pytest.approx(3.0) and k.c_sigma == 2.5
    fixed = MotifKernel("2_02_002", c_sigma_bounds="fixed")
    assert fixed(X, eval_gradient=True)[1].shape == (6, 6, 0)
    with pytest.raises(ValueError, match="only defined when Y is None"):
        k(X, X, eval_gradient=True)
    with pytest.raises(ValueError, match="sigma_b=0 has no logarithm"):
        MotifKernel("2_02_002", sigma_b_bounds=(1e-3, 1.0))(X)
    assert len(repr(k)) < 200 and "2_02_002" in repr(k)


def test_missing_scikit_learn_is_a_clear_message(monkeypatch):
    import dagnngp.gp

    for name in [n for n in sys.modules if n == "sklearn" or n.startswith("sklearn.")]:
        monkeypatch.setitem(sys.modules, name, None)  # as if scikit-learn were not installed
    monkeypatch.delitem(sys.modules, "dagnngp.gp.kernel", raising=False)
    with pytest.raises(ImportError, match=r"pip install 'dagnngp\[gp\]'"):
        dagnngp.gp.MotifKernel  # noqa: B018


def test_array_api_kernels_are_taken_to_the_host():
    xps = pytest.importorskip("array_api_strict")
    rng = np.random.default_rng(5)
    Xtr, Xte = rng.normal(size=(8, 3)), rng.normal(size=(3, 3))
    y = rng.normal(size=8)
    post = nngp_posterior("2_21_112", xps.asarray(Xtr), xps.asarray(y), xps.asarray(Xte), noise=0.1)
    ref = nngp_posterior("2_21_112", Xtr, y, Xte, noise=0.1)
    assert isinstance(post.mean, np.ndarray)
    np.testing.assert_allclose(post.mean, ref.mean, rtol=1e-12)
    np.testing.assert_allclose(post.var, ref.var, rtol=1e-10)
