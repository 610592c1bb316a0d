"""``orchestrator recommend``: right-sized training and endpoint instances from measured runs.

One job per module: ``catalog`` (the price and spec table, ``instances.json``), ``procfs``
(memory and CPU of the serving processes), ``measurements`` (what was measured, and its file),
``endpoint_probe`` (the real local endpoint under requests), ``training_record`` (training time
from recorded executions), ``endpoint_choice`` and ``training_choice`` (the choice, pure), and
``explain`` (the plain-English account). The flow is ``orchestrator/flows/recommend.py``.
"""
