"""tlhelpers: the small library behind the transfer-learning notebooks.

One module per job — see tlhelpers/README.md for a two-minute overview of the layout.
``tlhelpers.set_seed`` (from :mod:`tlhelpers.state`) is the one name at the top level; it is
imported on first use, so that light modules such as :mod:`tlhelpers.decision_matrix.results` load without torch.
"""

__all__ = ["set_seed"]


def __getattr__(name: str):
    if name == "set_seed":
        from tlhelpers.state import set_seed

        return set_seed
    raise AttributeError(f"module 'tlhelpers' has no attribute {name!r}")
