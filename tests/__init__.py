"""The test suite: unit tests per module, notebook hygiene, and the machinery they share (netguard, fakes)."""
