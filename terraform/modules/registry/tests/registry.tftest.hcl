# The image repository is immutable, scanned on push and KMS-encrypted.

mock_provider "aws" {}

variables {
  model_package_group_name = "mlops-demo-test-models"
  ecr_repository_name      = "mlops-demo/test/ml-containers"
  kms_key_arn              = "arn:aws:kms:eu-west-1:123456789012:key/artifacts"
}

run "repository_is_hardened" {
  command = apply

  assert {
    condition     = aws_ecr_repository.this.image_tag_mutability == "IMMUTABLE" && one(aws_ecr_repository.this.image_scanning_configuration).scan_on_push
    error_message = "Tags must be immutable and images scanned on push."
  }

  assert {
    condition     = one(aws_ecr_repository.this.encryption_configuration).encryption_type == "KMS" && one(aws_ecr_repository.this.encryption_configuration).kms_key == var.kms_key_arn
    error_message = "The repository must be encrypted with the artifacts key."
  }

  assert {
    condition     = aws_sagemaker_model_package_group.this.model_package_group_name == var.model_package_group_name
    error_message = "The model package group must carry the configured name."
  }
}
