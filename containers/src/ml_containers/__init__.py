"""Programs that run inside SageMaker jobs and endpoints (preprocess, train, evaluate, serve).

Every program follows SageMaker's container contracts (paths under /opt/ml, exit codes,
failure files) so the same code runs in a SageMaker job and as a plain local process.
"""

__version__ = "0.1.0"
