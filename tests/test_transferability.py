"""tlhelpers.transferability: LogME, LEEP and H-score against independent computations on tiny seeded data."""

import math

import numpy as np
import pytest
import torch
from scipy.optimize import minimize
from scipy.stats import multivariate_normal

from tlhelpers.transferability import h_score, leep, log_evidence, logme


def class_data(n=30, d=5, classes=3, signal=1.5, seed=0):
    """Features = a random vector per class (times ``signal``) + unit noise; labels cycle 0..K−1."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % classes
    centres = rng.normal(size=(classes, d)) * signal
    return centres[labels] + rng.normal(size=(n, d)), labels


def marginal_log_density(features, target, log_alpha, log_beta):
    """log N(y; 0, β⁻¹I + α⁻¹FFᵀ) from the eigenvalues of FFᵀ, vectorised over arrays of log α, log β.

    The evidence written as the density of y with w integrated out — no m, no A, no SVD of F.
    """
    eigenvalues, vectors = np.linalg.eigh(features @ features.T)
    eigenvalues = np.clip(eigenvalues, 0, None)
    projected2 = (vectors.T @ target) ** 2
    log_alpha, log_beta = np.asarray(log_alpha, float)[..., None], np.asarray(log_beta, float)[..., None]
    variances = np.exp(-log_beta) + eigenvalues * np.exp(-log_alpha)
    n = len(target)
    return -0.5 * (n * math.log(2 * math.pi) + np.sum(np.log(variances), -1) + np.sum(projected2 / variances, -1))


def brute_force_logme(features, labels, low=-12.0, high=30.0):
    """max over (log α, log β) of the marginal density: a log-spaced grid, then Nelder–Mead from its best point."""
    grid = np.linspace(low, high, 85)
    log_alpha, log_beta = np.meshgrid(grid, grid, indexing="ij")
    per_class = []
    for k in range(labels.max() + 1):
        target = (labels == k).astype(float)
        values = marginal_log_density(features, target, log_alpha, log_beta)
        best = np.unravel_index(np.argmax(values), values.shape)
        start = np.array([log_alpha[best], log_beta[best]])
        result = minimize(
            lambda x: -marginal_log_density(features, target, x[0], x[1]),
            start,
            method="Nelder-Mead",
            bounds=[(low, high), (low, high)],
            options={"xatol": 1e-9, "fatol": 1e-13, "maxiter": 4000},
        )
        per_class.append(max(-result.fun, values[best]) / len(target))
    return float(np.mean(per_class))


# --- LogME -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(30, 5), (8, 20)])
def test_log_evidence_is_the_gaussian_density_of_the_labels(shape):
    rng = np.random.default_rng(1)
    features, target = rng.normal(size=shape), rng.normal(size=shape[0])
    n = shape[0]
    for alpha, beta in [(1.0, 1.0), (0.3, 7.0), (50.0, 0.2)]:
        covariance = np.eye(n) / beta + features @ features.T / alpha
        expected = multivariate_normal(mean=np.zeros(n), cov=covariance).logpdf(target)
        assert log_evidence(features, target, alpha, beta) == pytest.approx(expected, rel=1e-10)
        assert marginal_log_density(features, target, math.log(alpha), math.log(beta)) == pytest.approx(
            expected, rel=1e-10
        )


def test_logme_matches_brute_force_maximisation():
    features, labels = class_data()  # N > D, every class's optimum inside the (α, β) plane
    assert logme(features, labels) == pytest.approx(brute_force_logme(features, labels), abs=1e-7)


def test_logme_with_fewer_images_than_dimensions():
    features, labels = class_data(n=12, d=40)  # thin SVD; two classes' optima lie at β → ∞ (exact fit)
    score = logme(features, labels)
    assert np.isfinite(score)
    assert score == pytest.approx(brute_force_logme(features, labels), abs=1e-7)


def test_logme_of_useless_features_is_the_noise_only_evidence():
    rng = np.random.default_rng(2)
    labels = np.arange(40) % 4
    features = rng.normal(size=(40, 6))
    # with w = 0 (α → ∞) the evidence of a 0/1 column y is that of N(0, β⁻¹I) at β = N / ‖y‖²
    n, ones = 40, 10
    noise_only = (n * math.log(n / ones) - n * math.log(2 * math.pi) - n) / 2 / n
    score = logme(features, labels)
    assert score >= noise_only - 1e-8  # the supremum includes the α → ∞ boundary
    assert score == pytest.approx(brute_force_logme(features, labels), abs=1e-7)


def test_separable_features_score_higher_than_noise():
    separable, labels = class_data(n=60, d=8, signal=2.0)
    noise = np.random.default_rng(3).normal(size=(60, 8))
    assert logme(separable, labels) > logme(noise, labels) + 0.3


def test_logme_is_below_the_maximum_likelihood_and_duplicates_approach_it():
    features, labels = class_data()
    # evidence = likelihood averaged over the prior ≤ the best likelihood: −1/2 log(2πe RSS/N) per image
    onehot = np.eye(3)[labels]
    residual = onehot - features @ np.linalg.lstsq(features, onehot, rcond=None)[0]
    bound = float(np.mean(-0.5 * np.log(2 * math.pi * math.e * np.sum(residual**2, axis=0) / len(labels))))
    scores = [logme(np.tile(features, (copies, 1)), np.tile(labels, copies)) for copies in (1, 2, 10)]
    assert all(np.isfinite(scores)) and all(score <= bound for score in scores)
    assert scores[0] < scores[1] < scores[2]  # the Occam penalty per image shrinks like D log N / N
    assert bound - scores[2] < 0.5 * (bound - scores[0])


def test_logme_invariances():
    features, labels = class_data()
    rng = np.random.default_rng(4)
    score = logme(features, labels)
    rotation, _ = np.linalg.qr(rng.normal(size=(5, 5)))
    order = rng.permutation(len(labels))
    assert logme(features @ rotation, labels) == pytest.approx(score, abs=1e-9)  # isotropic prior
    assert logme(features[order], labels[order]) == pytest.approx(score, abs=1e-9)
    assert logme(features, (labels + 1) % 3) == pytest.approx(score, abs=1e-9)  # class names do not matter
    dead = np.hstack([features, np.zeros((len(labels), 7))])  # dead ReLU channels add nothing
    assert logme(dead, labels) == pytest.approx(score, abs=1e-9)


def test_logme_takes_torch_tensors_and_warns_when_stopped_early():
    features, labels = class_data()
    as_torch = logme(torch.tensor(features, dtype=torch.float32), torch.tensor(labels))
    assert as_torch == pytest.approx(logme(features.astype(np.float32), labels), abs=1e-12)
    with pytest.warns(RuntimeWarning, match="did not converge"):
        logme(features, labels, max_iter=1)


# --- LEEP ------------------------------------------------------------------------------------------


def leep_by_loops(theta, labels):
    """The paper's three steps, written as plain loops."""
    n, source_classes = len(theta), len(theta[0])
    classes = max(labels) + 1
    joint = [[0.0] * source_classes for _ in range(classes)]
    for i in range(n):
        for z in range(source_classes):
            joint[labels[i]][z] += theta[i][z] / n
    marginal = [sum(joint[y][z] for y in range(classes)) for z in range(source_classes)]
    total = 0.0
    for i in range(n):
        total += math.log(sum(joint[labels[i]][z] / marginal[z] * theta[i][z] for z in range(source_classes)))
    return total / n


def random_head(n, source_classes, seed, concentration=1.0):
    return np.random.default_rng(seed).dirichlet(np.full(source_classes, concentration), size=n)


def test_leep_matches_a_direct_loop():
    labels = np.arange(20) % 3
    theta = random_head(20, 7, seed=5)
    assert leep(theta, labels) == pytest.approx(leep_by_loops(theta.tolist(), labels.tolist()), rel=1e-12)
    assert leep(torch.tensor(theta), torch.tensor(labels)) == pytest.approx(leep(theta, labels), rel=1e-12)


def test_leep_is_a_log_likelihood():
    labels = np.arange(30) % 3
    for seed in range(5):
        assert leep(random_head(30, 10, seed, concentration=0.3), labels) <= 0


def test_leep_of_a_head_that_relabels_the_target_classes():
    labels = np.arange(30) % 3
    relabel = np.array([7, 2, 4])  # target class y ↔ source class relabel[y]
    exact = np.eye(10)[relabel[labels]]
    assert leep(exact, labels) == pytest.approx(0.0, abs=1e-12)
    peaked = 0.95 * exact + 0.05 / 10
    random = random_head(30, 10, seed=6)
    assert leep(peaked, labels) > -0.1
    assert leep(peaked, labels) > leep(random, labels) + 0.5


def test_leep_ignores_source_classes_without_mass():
    labels = np.arange(20) % 2
    theta = random_head(20, 5, seed=7)
    padded = np.hstack([theta[:, :2], np.zeros((20, 1)), theta[:, 2:]])
    assert leep(padded, labels) == pytest.approx(leep(theta, labels), rel=1e-12)


# --- H-score ---------------------------------------------------------------------------------------


def h_score_direct(features, labels, shrinkage=0.0, rcond=1e-10):
    covariance = np.cov(features, rowvar=False, bias=True)
    means = {k: features[labels == k].mean(axis=0) for k in set(labels.tolist())}
    conditional = np.array([means[k] for k in labels.tolist()])
    between = np.cov(conditional, rowvar=False, bias=True)
    if shrinkage:
        d = features.shape[1]
        covariance = (1 - shrinkage) * covariance + shrinkage * np.trace(covariance) / d * np.eye(d)
        between = (1 - shrinkage) * between
    return float(np.trace(np.linalg.pinv(covariance, rcond=rcond, hermitian=True) @ between))


def test_h_score_matches_the_direct_formula():
    features, labels = class_data(n=40, d=6)
    assert h_score(features, labels) == pytest.approx(h_score_direct(features, labels), rel=1e-10)
    assert h_score(features, labels, shrinkage=0.3) == pytest.approx(
        h_score_direct(features, labels, shrinkage=0.3), rel=1e-10
    )
    few, few_labels = class_data(n=12, d=40)  # singular covariance: pseudo-inverse
    assert h_score(few, few_labels) == pytest.approx(h_score_direct(few, few_labels), rel=1e-8)


def test_h_score_range_and_ranking():
    separable, labels = class_data(n=60, d=8, signal=2.0)
    noise = np.random.default_rng(8).normal(size=(60, 8))
    assert 0 <= h_score(noise, labels) < h_score(separable, labels) <= 2 + 1e-9
    few, few_labels = class_data(n=12, d=40)
    assert h_score(few, few_labels) == pytest.approx(2.0, abs=1e-8)  # N − 1 ≤ D: overfits to K − 1
    assert h_score(few, few_labels, shrinkage=0.5) < 2.0


# --- bad inputs ------------------------------------------------------------------------------------

FEATURES, LABELS = class_data(n=12, d=4)
THETA = random_head(12, 5, seed=9)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: logme(FEATURES, np.zeros(12, dtype=int)), "one class only"),
        (lambda: h_score(FEATURES, LABELS[:10]), "one label per image"),
        (lambda: logme(FEATURES[None], LABELS), r"\[N, D\]"),
        (lambda: logme(FEATURES, np.where(LABELS == 1, 3, LABELS)), "no images"),
        (lambda: logme(FEATURES, LABELS - 1), "0..K−1"),
        (lambda: h_score(FEATURES, LABELS + 0.5), "integer"),
        (lambda: logme(np.where(FEATURES > 1, np.nan, FEATURES), LABELS), "NaN"),
        (lambda: logme(FEATURES, LABELS, tol=0), "tol"),
        (lambda: leep(THETA * 2, LABELS), "sums to"),
        (lambda: leep(np.log(THETA), LABELS), "negative"),
        (lambda: leep(THETA[:, 0], LABELS), r"\[N, Z\]"),
        (lambda: h_score(np.ones((12, 4)), LABELS), "constant"),
        (lambda: h_score(FEATURES, LABELS, shrinkage=2), "shrinkage"),
    ],
)
def test_bad_inputs_raise_one_line_errors(call, message):
    with pytest.raises(ValueError, match=message) as error:
        call()
    assert "\n" not in str(error.value)
