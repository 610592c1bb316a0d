"""``make bench``: serving, batch transform and training measured against MLflow and against
the least work possible, on this machine, in one run (issue 6). See ``benchmarks/README.md``."""
