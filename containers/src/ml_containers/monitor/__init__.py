"""Drift monitoring: Model Monitor's statistics/constraints formats, the captured-data reader
and the drift statistics, shared by the ``monitor`` container entry point (a Model Monitor
bring-your-own-container job on AWS) and ``orchestrator monitor run`` (locally), so both judge
drift with exactly the same code (docs/monitoring.md)."""
