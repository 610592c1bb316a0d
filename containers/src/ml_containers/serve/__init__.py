"""The ``serve`` program: SageMaker's inference contract over HTTP.

``GET /ping``, ``POST /invocations`` and ``GET /execution-parameters`` on port 8080, served by
gunicorn with uvicorn workers running the plain ASGI app in :mod:`.app`. One module per job:
:mod:`.config` (arguments and environment), :mod:`.negotiation` (Content-Type and Accept),
:mod:`.decoding` (request bodies to feature rows), :mod:`.model` (the loaded bundle and its
per-model constants), :mod:`.encoding` (predictions to response bodies), :mod:`.runner`
(prediction timeouts), :mod:`.emf` (one CloudWatch Embedded Metric Format line per request),
:mod:`.worker` (TCP_NODELAY on every connection) and :mod:`.server` (the gunicorn application).
"""
