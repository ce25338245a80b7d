"""Made-up sweep rows for the tests of the decision matrix.

They serve the tests of tlhelpers.decision_matrix.results, tlhelpers.decision_matrix.sweep and
tlhelpers.decision_matrix.advise.
"""


def fake_rows(accuracies, dataset="photos", n_per_class=5, seconds=None):
    """Rows as run_sweep writes them: ``accuracies`` maps strategy → one accuracy per seed."""
    seconds = seconds or {}
    return [
        {
            "dataset": dataset,
            "n_per_class": n_per_class,
            "seed": seed,
            "strategy": strategy,
            "acc": acc,
            "seconds": seconds.get(strategy, 1.0),
            "num_train": 10,
            "epochs": 1,
            "steps": 1,
        }
        for strategy, values in accuracies.items()
        for seed, acc in enumerate(values)
    ]
