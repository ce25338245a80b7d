"""The decision-matrix experiment: which strategy wins for how many images of how far a dataset.

Configuration, running and reading are apart, and reading never imports torch:

* :mod:`~tlhelpers.decision_matrix.config` — the experiment as plain data (strategies, datasets, budget, the
  named sweeps, the rules the lecture states);
* :mod:`~tlhelpers.decision_matrix.pools`, :mod:`~tlhelpers.decision_matrix.strategies`,
  :mod:`~tlhelpers.decision_matrix.sweep` — running it (``python -m tlhelpers.decision_matrix.sweep``);
* :mod:`~tlhelpers.decision_matrix.results`, :mod:`~tlhelpers.decision_matrix.selection_results` — reading
  a results file;
* :mod:`~tlhelpers.decision_matrix.advise` — the advisor for your own folder of images.

The old import paths (``tlhelpers.experiment``, ``tlhelpers.sweep``, ``tlhelpers.results`` …) are the same
module objects.
"""
