"""The container image: build it with docker or podman, push it to the stack's ECR repository,
and resolve the reference every SageMaker job and endpoint runs (``repo@sha256:...``)."""
