# Test kernels keep no history database inside the repository.
c.HistoryManager.enabled = False  # noqa: F821
