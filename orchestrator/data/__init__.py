"""Data: staging and checking the training data, profiling CSVs, drafting schemas."""
