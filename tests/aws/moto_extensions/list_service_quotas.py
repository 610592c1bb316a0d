"""ListServiceQuotas, which moto 5 lacks (it has only the default VPC quotas).

AWS: https://docs.aws.amazon.com/servicequotas/2019-06-24/apireference/API_ListServiceQuotas.html
"Lists the applied quota values for the specified AWS service": each Quota carries its
ServiceCode, QuotaName and Value; the list is paginated with NextToken. SageMaker's instance
quotas are named "<instance type> for <processing job|training job|endpoint|transform job>
usage". State is a per-(account, region) table that tests fill with :func:`set_quota`, as an
account's applied values would be.
"""

from __future__ import annotations

import json
from typing import Any

from moto.servicequotas.responses import ServiceQuotasResponse

_APPLIED: dict[tuple[str, str, str], dict[str, float]] = {}


def set_quota(account: str, region: str, service_code: str, name: str, value: float) -> None:
    _APPLIED.setdefault((account, region, service_code), {})[name] = value


def clear_quotas() -> None:
    _APPLIED.clear()


def _list_service_quotas(self: ServiceQuotasResponse) -> str:
    params: dict[str, Any] = json.loads(self.body or "{}")
    code = str(params.get("ServiceCode"))
    applied = _APPLIED.get((self.current_account, self.region, code), {})
    quotas = [
        {"ServiceCode": code, "QuotaName": name, "QuotaCode": f"L-{index:08X}", "Value": value,
         "Adjustable": True, "GlobalQuota": False}
        for index, (name, value) in enumerate(sorted(applied.items()))
    ]  # fmt: skip
    return json.dumps({"Quotas": quotas})
