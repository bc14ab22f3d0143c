# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # The ReLU dual map, and why depth pulls correlations to 1
#
# A linear edge of a motif computes $\sqrt{2/m}\,\mathrm{ReLU}(W x)$ with $W$ an $m \times m$
# matrix of i.i.d. $N(0, 1)$ entries. As the width $m \to \infty$, the inner product of two
# inputs' features converges to a deterministic function of their Gram: for unit-norm inputs
# with correlation $C$ the output correlation is
#
# $$h(C) = \frac{\sqrt{1 - C^2} + (\pi - \arccos C)\, C}{\pi},$$
#
# the normalised degree-1 arc-cosine kernel (Lemma 3.2 of the paper). This notebook checks that
# formula three ways (closed form, a Gaussian expectation, one finite network) and shows what
# composing it does.

# %%
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from dagnngp.numerics import relu_correlation

C = np.linspace(-1, 1, 9)
print("C    ", np.round(C, 3))
print("h(C) ", np.round(relu_correlation(C), 6))

# %% [markdown]
# ## 1. The closed form against a Gaussian expectation
#
# $h(C) = 2\,\mathbb{E}[\mathrm{ReLU}(u)\,\mathrm{ReLU}(v)]$ with $(u, v)$ standard bivariate normal
# of correlation $C$. A Monte Carlo estimate with $n$ samples has standard error
# $\approx \mathrm{sd}/\sqrt{n}$; the difference should be a few standard errors at most.

# %%
rng = np.random.default_rng(0)
n = 400_000
for c in (-0.9, -0.5, 0.0, 0.5, 0.9):
    u = rng.standard_normal(n)
    v = c * u + np.sqrt(1 - c * c) * rng.standard_normal(n)
    prod = 2 * np.maximum(u, 0) * np.maximum(v, 0)
    est, se = prod.mean(), prod.std(ddof=1) / np.sqrt(n)
    print(f"C = {c:+.1f}: h(C) = {float(relu_correlation(c)):.5f}, "
          f"Monte Carlo {est:.5f} +- {se:.5f}  (z = {(est - float(relu_correlation(c))) / se:+.2f})")

# %% [markdown]
# ## 2. Properties: $h(C) \ge C$, $h(1) = 1$, convex
#
# Because $h(C) \ge C$ with equality only at $C = 1$, every linear+ReLU layer makes two inputs
# *more* alike. The fixed point $C = 1$ attracts every starting correlation.

# %%
grid = np.linspace(-1, 1, 2001)
hv = relu_correlation(grid)
print("min of h(C) - C on [-1, 1):", float((hv - grid)[:-1].min()))
print("h(-1), h(0), h(1):", [round(float(relu_correlation(x)), 7) for x in (-1.0, 0.0, 1.0)], "; 1/pi =",
      round(1 / np.pi, 7))
second_diff = np.diff(hv, 2)
print("convex on the grid (second differences >= 0):", bool(np.all(second_diff >= -1e-15)))

# %% [markdown]
# ## 3. Composing the map: depth pulls correlations to 1
#
# A chain of $k$ linear layers maps $C$ to $h^k(C)$. The spec lists $h^k(0)$ for $k = 1..5$:
# 0.3183099, 0.4937311, 0.6048257, 0.6809535, 0.7359464.

# %%
traj = [0.0]
for _ in range(200):
    traj.append(float(relu_correlation(traj[-1])))
print("h^k(0), k = 1..5:", np.round(traj[1:6], 7))

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2), layout="constrained")
x = np.linspace(-1, 1, 401)
y = x.copy()
ax1.plot(x, x, ":", color="0.5", label="identity")
for k in range(1, 6):
    y = relu_correlation(y)
    ax1.plot(x, y, label=f"$h^{{{k}}}(C)$")
ax1.set(xlabel="input correlation $C$", ylabel="output correlation", title="iterates of the dual map")
ax1.legend()
k = np.arange(1, len(traj))
ax2.loglog(k, 1 - np.array(traj[1:]), label=r"$1 - h^k(0)$")
ax2.loglog(k, 9 * np.pi**2 / (2 * k**2), "--", color="0.4", label=r"$9\pi^2 / (2k^2)$")
ax2.set(xlabel="depth $k$", ylabel="distance from 1", title="slow, polynomial approach to $C = 1$")
ax2.legend()
plt.show()

# %% [markdown]
# The approach is polynomial. From the expansion $h(1 - \varepsilon) = 1 - \varepsilon +
# \tfrac{2\sqrt2}{3\pi}\varepsilon^{3/2} + \dots$ the distance $\varepsilon_k = 1 - h^k(C_0)$ obeys
# $\varepsilon_{k+1} \approx \varepsilon_k - \tfrac{2\sqrt2}{3\pi}\varepsilon_k^{3/2}$, so
# $\varepsilon_k \approx 9\pi^2/(2k^2)$ for large $k$ whatever $C_0$: after 200 layers two orthogonal
# inputs still have correlation below 1, but their 2x2 Gram $\begin{bmatrix}1 & c\\ c & 1\end{bmatrix}$
# has least eigenvalue $1 - c$, which shrinks with depth. That is the paper's message: long chains of
# linear layers (large $d_p$) make the output kernel nearly singular and slow down gradient descent.

# %%
for depth in (1, 3, 10, 30, 100):
    print(f"depth {depth:3d}: correlation {traj[depth]:.5f}, 2x2 least eigenvalue {1 - traj[depth]:.5f}")

# %% [markdown]
# ## 4. One finite network
#
# The infinite-width statement is about averages; a single network of width $m$ fluctuates around
# it by $O(m^{-1/2})$.

# %%
from dagnngp.numerics.sampling import monte_carlo

X = np.array([[1.0, 0.0], [np.cos(1.2), np.sin(1.2)]])  # two unit inputs, C = cos(1.2)
c0 = float(X[0] @ X[1])
for width in (256, 4096):
    res = monte_carlo("2_02_002", X, width=width, draws=10, seed=1)
    print(f"width {width:5d}: three layers, K_12 = {res.mean[0, 1]:.4f} +- {res.stderr[0, 1]:.4f};"
          f"  h^3(C) = {float(relu_correlation(relu_correlation(relu_correlation(c0)))):.4f}")
