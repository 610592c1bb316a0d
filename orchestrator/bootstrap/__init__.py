"""``orchestrator bootstrap``: the Terraform state of an aws environment, created before the stack.

The stack keeps its state in an S3 bucket that must exist before ``terraform init``; this
package creates it, idempotently, with an administrator's credentials, and writes the
environment's ``terraform/backends/<env>.s3.tfbackend``. Modules:

- :mod:`~orchestrator.bootstrap.names`: the bucket, key, key alias and region of an environment
  (deterministic, checked against S3's bucket naming rules);
- :mod:`~orchestrator.bootstrap.calls`: one AWS call as data, and the context that reads state
  and sends (or, on a dry run, only lists) the calls that change it;
- :mod:`~orchestrator.bootstrap.key` and :mod:`~orchestrator.bootstrap.bucket`: the steps, each
  reading the current state first and changing only what differs;
- :mod:`~orchestrator.bootstrap.backend_file`: the backend file;
- :mod:`~orchestrator.bootstrap.run`: the account check and the steps in order.

The choices (S3 lock file instead of a DynamoDB table, a customer-managed key, the names) are
explained in ``docs/bootstrap.md``.
"""
