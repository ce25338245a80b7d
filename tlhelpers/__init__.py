"""tlhelpers: the small library behind the transfer-learning notebooks.

One module per topic — ``assets``, ``data``, ``models``, ``features``, ``train``, ``plots``,
``widgets``, ``checks`` — see tlhelpers/README.md for a two-minute overview.
"""

from tlhelpers.train import set_seed

__all__ = ["set_seed"]
