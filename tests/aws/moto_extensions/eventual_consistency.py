"""A resource SageMaker has just created, not yet seen by the next call that names it.

AWS, API reference, CreateEndpointConfig
(https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateEndpointConfig.html), note:
"When you call CreateEndpoint, a load call is made to DynamoDB to verify that your endpoint
configuration exists. When you read data from a DynamoDB table supporting Eventually Consistent
Reads, the response might not reflect the results of a recently completed write operation.
[...] If the dependent entities are not yet in DynamoDB, this causes a validation error. If you
repeat your read request after a short time, the response should return the latest data. So
retry logic is recommended to handle these possible issues." The validation error is the one
SageMaker gives for a config it does not have: ValidationException "Could not find endpoint
configuration" (moto's wording too; hashicorp/terraform-provider-aws
``internal/service/sagemaker/endpoint_configuration.go`` treats that text as "not found").
UpdateEndpoint names its config
the same way, and CreateEndpointConfig names its models, which SageMaker then cannot find as
"Could not find model".

moto reads its own dict, always consistently: :func:`lag_new_endpoint_configs` makes every
endpoint config created afterwards invisible to the next ``times`` CreateEndpoint/UpdateEndpoint
requests naming it, :func:`lag_new_models` every model to the next ``times`` CreateEndpointConfig
requests naming it. Both are off (0) unless a test asks.
"""

from __future__ import annotations

from typing import Any

from moto.core.responses import ActionResult
from moto.sagemaker.exceptions import ValidationError
from moto.sagemaker.models import FakeEndpointConfig, SageMakerModelBackend
from moto.sagemaker.responses import SageMakerResponse
from moto.sagemaker.utils import arn_formatter

from moto_extensions.failed_endpoint import _create_endpoint as _create_endpoint_checked
from moto_extensions.failed_endpoint import _update_endpoint as _update_endpoint_checked
from moto_extensions.state import backend

_create_endpoint_config_moto = SageMakerResponse.create_endpoint_config
_create_model_moto = SageMakerResponse.create_model


def _lag(sm: SageMakerModelBackend) -> dict[str, Any]:
    """``{"configs": times, "models": times}`` for resources created from now on, and
    ``unseen``: (kind, name) -> how many more requests naming it will not find it."""
    kept: dict[str, Any] = sm.__dict__.setdefault(
        "_test_consistency_lag", {"configs": 0, "models": 0, "unseen": {}}
    )
    return kept


def lag_new_endpoint_configs(times: int) -> None:
    """The next ``times`` CreateEndpoint/UpdateEndpoint naming a config created from now on
    answer "Could not find endpoint configuration"."""
    _lag(backend())["configs"] = times


def lag_new_models(times: int) -> None:
    """The next ``times`` CreateEndpointConfig naming a model created from now on answer
    "Could not find model"."""
    _lag(backend())["models"] = times


def _not_yet(sm: SageMakerModelBackend, kind: str, name: str) -> bool:
    """Whether this request still misses ``name`` (and count it)."""
    unseen = _lag(sm)["unseen"]
    left = unseen.get((kind, name), 0)
    if left <= 0:
        return False
    unseen[(kind, name)] = left - 1
    return True


def _config_not_found(sm: SageMakerModelBackend, name: str) -> ValidationError:
    arn = FakeEndpointConfig.arn_formatter(name, sm.account_id, sm.region_name)
    return ValidationError(message=f"Could not find endpoint configuration '{arn}'.")


def _create_model(self: SageMakerResponse) -> ActionResult:
    result = _create_model_moto(self)
    lag = _lag(self.sagemaker_backend)
    lag["unseen"][("model", self._get_param("ModelName"))] = lag["models"]
    return result


def _create_endpoint_config(self: SageMakerResponse) -> ActionResult:
    sm = self.sagemaker_backend
    for variant in self._get_param("ProductionVariants") or []:
        model = variant.get("ModelName")
        if model and _not_yet(sm, "model", model):
            arn = arn_formatter("model", model, sm.account_id, sm.region_name)
            raise ValidationError(message=f"Could not find model '{arn}'.")
    result = _create_endpoint_config_moto(self)
    lag = _lag(sm)
    lag["unseen"][("config", self._get_param("EndpointConfigName"))] = lag["configs"]
    return result


def _create_endpoint(self: SageMakerResponse) -> ActionResult:
    sm = self.sagemaker_backend
    config = self._get_param("EndpointConfigName")
    if _not_yet(sm, "config", config):
        raise _config_not_found(sm, config)
    return _create_endpoint_checked(self)


def _update_endpoint(self: SageMakerResponse) -> ActionResult:
    sm = self.sagemaker_backend
    config = self._get_param("EndpointConfigName")
    if _not_yet(sm, "config", config):
        raise _config_not_found(sm, config)
    return _update_endpoint_checked(self)
