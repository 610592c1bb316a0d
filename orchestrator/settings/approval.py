"""The model registry's approval statuses, as SageMaker's ModelApprovalStatus enum names them.

One definition for the three places that speak of them: the environment file (``approval:
auto`` registers Approved, ``manual`` PendingManualApproval), the pipeline's
ModelApprovalStatus parameter, and the registry protocol. It lives here, at the bottom of the
dependency order, so settings and the pipeline builder need not import a backend for it.
"""

from __future__ import annotations

from typing import Literal

ApprovalStatus = Literal["PendingManualApproval", "Approved", "Rejected"]
APPROVAL_STATUSES: tuple[ApprovalStatus, ...] = ("PendingManualApproval", "Approved", "Rejected")
