"""Where captured requests live: one layout for SageMaker's data capture and the local endpoint.

The endpoint config's ``DestinationS3Uri`` is ``s3://<artifacts bucket>/data-capture/<endpoint>``
(``backends/aws/endpoint_requests.py``); SageMaker appends ``<endpoint>/<variant>/yyyy/mm/dd/hh/``
and a file name ("Capture data from real-time endpoint", SageMaker developer guide). The local
endpoint writes below the same URI in the local artifact store, so ``monitor run`` lists the same
hour folders on either backend.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from orchestrator.settings.stack_outputs import StackOutputs

CAPTURE_FOLDER = "data-capture"


def capture_prefix(outputs: StackOutputs) -> str:
    """The endpoint config's DestinationS3Uri."""
    return f"s3://{outputs.artifacts_bucket}/{CAPTURE_FOLDER}/{outputs.endpoint_name}"


def variant_prefix(outputs: StackOutputs, variant: str) -> str:
    """Where SageMaker writes one variant's capture files."""
    return f"{capture_prefix(outputs)}/{outputs.endpoint_name}/{variant}"


def hour_prefixes(outputs: StackOutputs, variant: str, start: datetime, end: datetime) -> list[str]:
    """The hour folders (``.../yyyy/mm/dd/hh/``) that can hold records of ``[start, end)``."""
    hour = start.replace(minute=0, second=0, microsecond=0)
    found = []
    while hour < end:
        found.append(f"{variant_prefix(outputs, variant)}/{hour:%Y/%m/%d/%H}/")
        hour += timedelta(hours=1)
    return found
