"""Which pretrained model will transfer best to *your* labels? Scores computed before any fine-tuning.

:mod:`tlhelpers.similarity` asks how ImageNet-like the images look and never reads the labels.
The three scores here read the labels too: each one guesses how well a frozen model's outputs
will predict *your* classes, from one forward pass over your images — no training. Extract the
features once (:func:`tlhelpers.features.extract_features`), score every candidate model, and
fine-tune the one that scores best. Higher is better for all three, but only for comparing
models on the *same* dataset: a score has no meaning on its own.

- :func:`logme` (You, Liu, Wang, Long, ICML 2021). For each class ``k``, fit a Bayesian
  linear regression from the features ``F`` ``[N, D]`` to the one-hot column ``y_k``, with the
  prior ``w ~ N(0, α⁻¹ I)`` and noise ``N(0, β⁻¹)``. Integrating ``w`` out gives the
  *evidence* — how probable the labels are under "some linear function of these features,
  plus noise" — in closed form (the paper's Eq. 2):

      L(α, β) = N/2 log β + D/2 log α − N/2 log 2π − β/2 ‖Fm − y‖² − α/2 mᵀm − 1/2 log|A|
      A = αI + βFᵀF,   m = βA⁻¹Fᵀy        (m: the posterior mean of w)

  ``α`` and ``β`` are set to maximise ``L`` by MacKay's fixed-point iteration (Algorithm 1),
  cheap with one SVD ``F = U diag(σ) Vᵀ``:

      γ = Σ_i βσ_i² / (α + βσ_i²),   α ← γ / mᵀm,   β ← (N − γ) / ‖Fm − y‖²

  The score is the maximised ``L / N``, averaged over the classes: a log-likelihood per image,
  and it grows with N for the same features (less Occam penalty per image): compare models
  on the same images.
  It rewards features from which the labels are *linearly* predictable without overfitting —
  the evidence pays for every direction of ``w`` the data has to pin down.

- :func:`leep` (Nguyen, Hassner, Seeger, Archambeau, ICML 2020) needs no features, only the
  ImageNet head's softmax ``θ`` ``[N, Z]`` on your images. It builds the empirical joint
  ``P(y, z) = 1/N Σ_i θ_iz [y_i = y]`` of your label ``y`` and the ImageNet "dummy label" ``z``,
  turns it into ``P(y | z)``, and asks how well the two-step classifier "ImageNet class, then
  your class" predicts your labels: ``LEEP = 1/N Σ_i log Σ_z P(y_i | z) θ_iz``. It is an
  average log-likelihood, so ``LEEP ≤ 0``; it is 0 when the head's outputs already decide
  your labels (each ImageNet class maps to one of yours).

- :func:`h_score` (Bao, Li, Huang, Zheng, Zhang, ICIP 2019): ``tr(cov(F)⁻¹ cov(E[F | y]))`` —
  how much of the features' variance lies between the class means rather than within the
  classes, summed over directions, in the spirit of Fisher's discriminant. Between 0 and
  ``K − 1`` for ``K`` classes.

Features are used as given (no centring for LogME, as in the paper), in float64. All three
functions take numpy arrays or torch tensors, and integer labels ``0..K−1`` with every class
present at least once.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import torch

ArrayLike = np.ndarray | torch.Tensor


def _as_float64(values: ArrayLike, name: str) -> np.ndarray:
    """A float64 numpy copy of a numpy array or torch tensor."""
    if isinstance(values, torch.Tensor):
        values = values.detach().cpu().double().numpy()
    array = np.asarray(values, dtype=np.float64)
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contain NaN or infinite values — check the model's outputs before scoring them")
    return array


def _as_labels(labels: ArrayLike, count: int, name: str) -> tuple[np.ndarray, int]:
    """Labels as an int64 vector of length ``count``, checked to be ``0..K−1`` with K ≥ 2 all present; and K."""
    if isinstance(labels, torch.Tensor):
        labels = labels.detach().cpu().numpy()
    array = np.asarray(labels)
    if array.ndim != 1:
        raise ValueError(f"labels must be a 1-D vector of class indices, got shape {array.shape}")
    if len(array) != count:
        raise ValueError(f"{name} have {count} rows but labels has {len(array)} entries — pass one label per image")
    if array.dtype.kind not in "iu":
        if array.dtype.kind != "f" or not np.all(np.isfinite(array)) or not np.all(array == np.round(array)):
            raise ValueError(f"labels must be integer class indices 0..K−1, got dtype {array.dtype}")
    array = array.astype(np.int64)
    if array.min() < 0:
        raise ValueError(f"labels must be class indices 0..K−1, got {array.min()} — map names with classes.index")
    counts = np.bincount(array)
    if len(counts) < 2:
        raise ValueError("labels hold one class only — a transferability score needs at least two classes")
    missing = np.flatnonzero(counts == 0)
    if len(missing):
        raise ValueError(
            f"class {missing[0]} has no images but a higher class does — relabel the classes as 0..K−1 without gaps"
        )
    return array, len(counts)


def _as_features(features: ArrayLike) -> np.ndarray:
    """Features as a float64 ``[N, D]`` array."""
    array = _as_float64(features, "features")
    if array.ndim != 2:
        raise ValueError(
            f"features must be [N, D], got shape {array.shape} — pool feature maps first (features.global_pool)"
        )
    if array.shape[0] < 2 or array.shape[1] < 1:
        raise ValueError(f"features must hold at least 2 images and 1 dimension, got shape {array.shape}")
    return array


def log_evidence(features: ArrayLike, target: ArrayLike, alpha: float, beta: float) -> float:
    """The LogME log evidence ``L(α, β)`` of one target column (paper Eq. 2), not divided by N.

    ``log p(y | F, α, β)`` for ``y = Fw + noise``, ``w ~ N(0, α⁻¹ I)``, noise ``~ N(0, β⁻¹ I)``:
    see the module docstring. Computed directly, without the SVD, so that it can be checked
    against :func:`logme` (and against the Gaussian density of ``y``, which it equals).
    """
    f = _as_features(features)
    y = _as_float64(target, "target").reshape(-1)
    n, d = f.shape
    if len(y) != n:
        raise ValueError(f"features have {n} rows but target has {len(y)} entries — pass one value per image")
    if not (alpha > 0 and beta > 0):
        raise ValueError(f"alpha and beta must be positive, got alpha={alpha}, beta={beta}")
    a = alpha * np.eye(d) + beta * f.T @ f
    m = beta * np.linalg.solve(a, f.T @ y)
    residual = float(np.sum((f @ m - y) ** 2))
    _, logdet = np.linalg.slogdet(a)
    return (
        n / 2 * math.log(beta)
        + d / 2 * math.log(alpha)
        - n / 2 * math.log(2 * math.pi)
        - beta / 2 * residual
        - alpha / 2 * float(m @ m)
        - logdet / 2
    )


def _logme_one_target(
    sigma2: np.ndarray, z: np.ndarray, outside: float, n: int, tol: float, max_iter: int
) -> tuple[float, float, float, bool]:
    """Maximise the evidence of one target by the fixed point: ``(L/N, α, β, converged)``.

    ``sigma2``: the nonzero squared singular values of F; ``z = Uᵀy`` (their left singular
    vectors); ``outside = ‖y − UUᵀy‖²``, the part of y that no linear function of F reaches.
    With ``λ = α/β``, ``Fm = U diag(σ²/(σ²+λ)) z``, hence

        ‖Fm − y‖² = outside + Σ (λ/(σ²+λ))² z²,    mᵀm = Σ σ²/(σ²+λ)² z²,

    and the ``D − r`` zero eigenvalues of FᵀF add nothing to γ and ``(D − r) log α`` to
    ``log|A|``, which cancels against ``D/2 log α``:

        L = N/2 log β − N/2 log 2π − β/2 (outside + Σ z² λ/(σ²+λ)) − 1/2 Σ log(1 + σ²/λ).

    This form stays finite when the iteration heads for a boundary of the (α, β) plane:
    ``α → ∞`` (the features do not help: w = 0, y is noise) or ``β → ∞`` (N ≤ D and y is
    fitted exactly). There the fixed point never settles, but L converges to its supremum, so
    the loop stops once L/N changes by less than ``tol``.
    """
    z2 = z * z

    def evidence(alpha: float, beta: float) -> float:
        lam = alpha / beta
        if math.isinf(lam):
            fit, complexity = outside + float(np.sum(z2)), 0.0
        else:
            fit = outside + float(np.sum(z2 * lam / (sigma2 + lam)))
            complexity = float(np.sum(np.log1p(sigma2 / lam)))
        return (n * math.log(beta) - n * math.log(2 * math.pi) - beta * fit - complexity) / 2

    alpha, beta = 1.0, 1.0
    score = evidence(alpha, beta) / n
    for _ in range(max_iter):
        lam = alpha / beta
        shrink = sigma2 + lam
        gamma = float(np.sum(sigma2 / shrink))
        mm = float(np.sum(sigma2 * z2 / shrink**2))
        residual = outside + float(np.sum((lam / shrink) ** 2 * z2))
        if residual <= 0 or n - gamma <= 0:
            return score, alpha, beta, True  # y fitted exactly to machine precision: at the β → ∞ limit
        alpha = gamma / mm if mm > 0 else math.inf  # mm = 0: y is orthogonal to every feature
        beta = (n - gamma) / residual
        previous, score = score, evidence(alpha, beta) / n
        if abs(score - previous) < tol or math.isinf(alpha):
            return score, alpha, beta, True
    return score, alpha, beta, False


def logme(features: ArrayLike, labels: ArrayLike, *, tol: float = 1e-10, max_iter: int = 1000) -> float:
    """LogME: the maximised log evidence per image of a linear model on ``features``, averaged over classes.

    ``features`` ``[N, D]`` (e.g. from :func:`tlhelpers.features.extract_features`), ``labels``
    ``[N]`` in ``0..K−1``. For each class the fixed-point iteration of the module docstring
    runs from ``α = β = 1`` until the evidence per image changes by less than ``tol``, at most
    ``max_iter`` times; a class that has not converged by then triggers a warning. One thin
    SVD serves all classes, so ``N < D`` is fine; singular values below numpy's rank cutoff
    count as 0 (dead ReLU channels, duplicated features). The maximum may lie at a boundary —
    ``α → ∞`` when the features do not help (w = 0; common for weak features, as the model has
    no bias term), ``β → ∞`` when ``N ≤ D`` fits a class exactly — and the score is then that
    supremum, reached in the limit. Higher is better; compare models on the same images only.
    """
    f = _as_features(features)
    n, d = f.shape
    y, classes = _as_labels(labels, n, "features")
    if not tol > 0 or max_iter < 1:
        raise ValueError(f"tol must be positive and max_iter at least 1, got tol={tol}, max_iter={max_iter}")
    if not np.any(f):
        raise ValueError("features are all zero — the backbone's output carries no information")
    u, s, _ = np.linalg.svd(f, full_matrices=False)
    rank = int(np.sum(s > s[0] * max(n, d) * np.finfo(np.float64).eps))
    u, sigma2 = u[:, :rank], s[:rank] ** 2
    onehot = np.eye(classes)[y]
    z = u.T @ onehot  # [r, K]
    outside = np.sum((onehot - u @ z) ** 2, axis=0)  # computed directly: no cancellation in ‖y‖² − ‖z‖²
    scores, stuck = [], []
    for k in range(classes):
        score, _, _, converged = _logme_one_target(sigma2, z[:, k], float(outside[k]), n, tol, max_iter)
        scores.append(score)
        if not converged:
            stuck.append(k)
    if stuck:
        warnings.warn(
            f"LogME's fixed point did not converge for class(es) {stuck} in {max_iter} steps — "
            "raise max_iter (the score returned is the last step's)",
            RuntimeWarning,
            stacklevel=2,
        )
    return float(np.mean(scores))


def leep(source_probabilities: ArrayLike, labels: ArrayLike) -> float:
    """LEEP: the average log-likelihood of "source class, then target class" on your labels (≤ 0).

    ``source_probabilities`` ``[N, Z]``: the softmax of the pretrained (ImageNet) head on your
    images — probabilities, not logits; each row must sum to 1. ``labels`` ``[N]`` in ``0..K−1``.
    A source class ``z`` that gets no probability mass at all is left out (its ``P(y | z)`` is
    undefined and it carries no weight). Higher is better.
    """
    theta = _as_float64(source_probabilities, "source_probabilities")
    if theta.ndim != 2:
        raise ValueError(f"source_probabilities must be [N, Z], got shape {theta.shape}")
    n = theta.shape[0]
    y, classes = _as_labels(labels, n, "source_probabilities")
    if np.any(theta < 0):
        raise ValueError("source_probabilities has negative entries — pass softmax(logits), not the logits")
    sums = theta.sum(axis=1)
    worst = int(np.argmax(np.abs(sums - 1)))
    if abs(sums[worst] - 1) > 1e-3:
        raise ValueError(
            f"row {worst} of source_probabilities sums to {sums[worst]:.4g}, not 1 — pass softmax(logits, dim=1)"
        )
    joint = np.eye(classes)[y].T @ theta / n  # P(y, z): [K, Z]
    marginal = joint.sum(axis=0)  # P(z)
    conditional = np.divide(joint, marginal, out=np.zeros_like(joint), where=marginal > 0)  # P(y | z)
    likelihood = np.sum(conditional[y] * theta, axis=1)  # Σ_z P(y_i | z) θ_iz
    return float(np.mean(np.log(likelihood)))


def h_score(features: ArrayLike, labels: ArrayLike, *, rcond: float = 1e-10, shrinkage: float = 0.0) -> float:
    """H-score: ``tr(cov(F)⁻¹ cov(E[F | y]))``, between 0 and K − 1. Higher is better.

    ``cov(E[F | y])`` is the covariance of the features with each row replaced by its class mean
    (so classes weigh by their size). Both covariances divide by N. ``cov(F)`` is singular when
    ``N ≤ D`` or when features are redundant, so its inverse is a pseudo-inverse: directions whose
    variance is below ``rcond`` times the largest are dropped. With few images per dimension the
    score overfits (with ``N − 1 ≤ D`` it is exactly ``K − 1`` whatever the features); ``shrinkage``
    ``s`` in ``[0, 1]`` replaces ``cov(F)`` by ``(1 − s) cov(F) + s · mean variance · I`` and
    ``cov(E[F | y])`` by ``(1 − s) cov(E[F | y])``, so that the score stays in ``[0, K − 1]`` — in
    the spirit of the regularised H-score of Ibrahim, Ponomareva and Mazumder (2022). The default
    0 is Bao et al.'s original.
    """
    f = _as_features(features)
    n, d = f.shape
    y, classes = _as_labels(labels, n, "features")
    if not 0 <= shrinkage <= 1:
        raise ValueError(f"shrinkage must be in [0, 1], got {shrinkage}")
    centred = f - f.mean(axis=0)
    cov_f = centred.T @ centred / n
    class_means = np.stack([centred[y == k].mean(axis=0) for k in range(classes)])
    between = class_means[y]  # E[F | y_i] − E[F], one row per image
    cov_g = between.T @ between / n
    if shrinkage > 0:
        cov_f = (1 - shrinkage) * cov_f + shrinkage * np.trace(cov_f) / d * np.eye(d)
        cov_g = (1 - shrinkage) * cov_g
    variances, directions = np.linalg.eigh(cov_f)
    if variances[-1] <= 0:
        raise ValueError("features are constant across images — the backbone's output carries no information")
    keep = variances > rcond * variances[-1]
    projected = directions[:, keep]
    return float(np.sum(np.einsum("di,de,ei->i", projected, cov_g, projected) / variances[keep]))
