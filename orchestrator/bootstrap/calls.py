"""One AWS call as data, and the context every step reads state and sends its changes through.

A step never calls boto3 to change anything itself: it reads the current state with
:meth:`Context.read`, works out the calls that would bring it to the wanted state, and hands each
to :meth:`Context.send`. On a dry run ``send`` only lists the call, so the dry run is the plan
of the real run's calls and makes no mutating call by construction.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import boto3
from botocore import xform_name
from botocore.exceptions import ClientError

from orchestrator.backends.aws.clients import client_config, error_code
from orchestrator.bootstrap.errors import BootstrapRefused, aws_refusals
from orchestrator.bootstrap.names import StateNames

Status = Literal["created", "updated", "unchanged"]


@dataclass(frozen=True)
class Call:
    """``service`` is botocore's name (``s3``, ``kms``), ``operation`` the API's
    (``PutBucketVersioning``)."""

    service: str
    operation: str
    params: Mapping[str, Any]

    def describe(self) -> str:
        return f"{self.service}:{self.operation} {json.dumps(self.params, sort_keys=True)}"


@dataclass(frozen=True)
class Outcome:
    """What one step did (or, on a dry run, would do)."""

    step: str
    status: Status
    detail: str
    calls: tuple[Call, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "status": self.status,
            "detail": self.detail,
            "calls": [
                {"call": f"{c.service}:{c.operation}", "params": c.params} for c in self.calls
            ],
        }


def outcome(step: str, calls: list[Call], detail: str, *, new: bool = False) -> Outcome:
    """``unchanged`` without calls, else ``created`` (``new``) or ``updated``."""
    status: Status = "unchanged" if not calls else ("created" if new else "updated")
    return Outcome(step, status, detail, tuple(calls))


@dataclass
class Context:
    """The session, the names and what earlier steps found; ``apply`` False is a dry run."""

    session: boto3.Session
    names: StateNames
    apply: bool
    partition: str = "aws"  # from the caller's ARN (aws, aws-cn, aws-us-gov)
    key_arn: str | None = None  # None: the key is created by this (dry) run
    key_created: bool = False
    bucket_created: bool = False
    _clients: dict[str, Any] = field(default_factory=dict)

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = self.session.client(
                service, region_name=self.names.region, config=client_config()
            )
        return self._clients[service]

    def read(
        self, service: str, operation: str, missing: tuple[str, ...] = (), **params: Any
    ) -> dict[str, Any] | None:
        """The answer of a read-only call, or None when AWS answers one of the ``missing``
        codes (the setting is not there)."""
        with aws_refusals(f"call {service}:{operation}"):
            try:
                return dict(getattr(self.client(service), xform_name(operation))(**params))
            except ClientError as exc:
                if error_code(exc) in missing:
                    return None
                raise

    def send(self, call: Call, refused: Mapping[str, str] | None = None) -> dict[str, Any]:
        """Send ``call`` (a dry run only plans it; the answer is then empty). ``refused`` maps
        error codes to the message of the :class:`BootstrapRefused` they become."""
        if not self.apply:
            return {}
        with aws_refusals(f"call {call.service}:{call.operation}"):
            try:
                method = getattr(self.client(call.service), xform_name(call.operation))
                return dict(method(**call.params))
            except ClientError as exc:
                if refused and error_code(exc) in refused:
                    raise BootstrapRefused(refused[error_code(exc)]) from None
                raise

    @property
    def key_reference(self) -> str:
        """The key's ARN, or on a dry run that creates it, a placeholder naming its alias."""
        return self.key_arn or f"<ARN of the new key {self.names.alias}>"


def same_policy(left: Mapping[str, Any], right: Mapping[str, Any]) -> bool:
    """Whether two IAM policy documents say the same, whatever the order of statements and
    list items and whether a single value is written as a string or a one-item list."""
    return bool(_normal(left.get("Statement", [])) == _normal(right.get("Statement", [])))


def _normal(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _normal(v) for k, v in value.items()}
    if isinstance(value, list):
        items = [_normal(v) for v in value]
        return (
            items[0]
            if len(items) == 1
            else sorted(items, key=lambda v: json.dumps(v, sort_keys=True))
        )
    return value
