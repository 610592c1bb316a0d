"""The ``evaluate`` program: score the test split with a trained bundle, as a Processing job.

Modules, one job each: ``inputs`` (extract the model tarball safely and read the test split),
``report`` (build ``evaluation.json``), ``plots`` (the PNG figures) and ``cli`` (the entry point).
"""
