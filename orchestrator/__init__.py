"""The orchestrator: builds the SageMaker pipeline definition, runs it locally or on SageMaker,
manages the model registry and endpoints, and renders and applies the Terraform stack."""

__version__ = "0.1.0"
