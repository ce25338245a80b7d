"""Scripts that prepare the course's offline assets; `python -m data_scripts` runs them all."""
