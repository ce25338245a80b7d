"""Performance benchmarks: `python -m benchmarks.bench` (what `make bench` runs)."""
