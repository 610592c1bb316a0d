"""UpdateModelPackage keeps what a request leaves out.

AWS: https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateModelPackage.html:
``CustomerMetadataProperties`` are "the metadata properties associated with the model package
versions" and ``CustomerMetadataPropertiesToRemove`` "the metadata properties ... to remove":
removal has its own parameter, so a request that omits both leaves the existing properties (and
the ApprovalDescription) in place. moto 5 clears them, which would erase the metrics and
lineage the registry stores there on every approval.
"""

from __future__ import annotations

from typing import Any

from moto.sagemaker.exceptions import ValidationError
from moto.sagemaker.models import SageMakerModelBackend

_moto_update_model_package = SageMakerModelBackend.update_model_package


def _update_model_package(
    self: SageMakerModelBackend,
    model_package_arn: str,
    model_approval_status: str | None,
    approval_description: str | None,
    customer_metadata_properties: dict[str, str] | None,
    customer_metadata_properties_to_remove: list[str],
    additional_inference_specifications_to_add: list[Any] | None,
) -> str:
    mapped = self.model_package_name_mapping.get(model_package_arn, model_package_arn)
    package = self.model_packages.get(mapped)
    if package is None:
        raise ValidationError(f"Model package {model_package_arn} not found")
    kept = dict(package.customer_metadata_properties or {})
    kept.update(customer_metadata_properties or {})
    if approval_description is None:
        approval_description = package.approval_description
    if model_approval_status is None:
        model_approval_status = package.model_approval_status
    return _moto_update_model_package(
        self,
        model_package_arn,
        model_approval_status,
        approval_description,
        kept or None,
        customer_metadata_properties_to_remove,
        additional_inference_specifications_to_add,
    )
