"""``orchestrator ui``: a small web application over the same flows the CLI uses.

Every page has a JSON twin under ``/api`` built by the same function (``pages_*`` modules build
plain dicts; the page renders that dict and the twin returns it), so the UI holds no second
source of truth. Modules: ``app`` (routes, error pages), ``guard`` (loopback, token, CSRF),
``executions``/``execution_sources``/``graph`` (runs and their step graph), ``models``
(registry versions, evaluation plots, approve/reject), ``endpoints``/``local_metrics``/
``aws_endpoint`` (live config, history, latency and errors), ``charts`` (server-side SVG),
``server`` (binding and serving). See docs/ui.md.
"""
