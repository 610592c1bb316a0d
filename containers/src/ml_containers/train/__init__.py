"""The ``train`` program: SageMaker's training-job contract around ``xgboost.train``.

Modules, one job each: ``hyperparameters`` (parse and check the job's string hyperparameters),
``channels`` (find and check the input channels), ``labeled_csv`` (read label-first CSVs fast),
``booster`` (fit with early stopping and report metrics), ``output`` (write the model bundle),
``failure`` (turn errors into SageMaker's failure file) and ``cli`` (the entry point).
"""
