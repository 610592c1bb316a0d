"""``orchestrator preflight``: the stack and the orchestrator checked against AWS's own rules
(IAM quotas and reference, botocore's service models, documented incompatibilities) before
anything is applied, so a first real apply and run do not discover them one failure at a time.
"""
