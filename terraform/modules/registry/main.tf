# Where trained models and the serving image live: the SageMaker model package group that the
# pipeline registers into (approval gates deployment) and the ECR repository of the project's
# one container image (immutable tags, scanned on push, KMS-encrypted, old images expired).

resource "aws_sagemaker_model_package_group" "this" {
  model_package_group_name        = var.model_package_group_name
  model_package_group_description = "Models trained by the ${var.model_package_group_name} pipeline"
  tags                            = var.tags
}

resource "aws_ecr_repository" "this" {
  name                 = var.ecr_repository_name
  image_tag_mutability = "IMMUTABLE"
  force_delete         = var.force_delete

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = "KMS"
    kms_key         = var.kms_key_arn
  }

  tags = var.tags
}

# Rule 1 protects every image the orchestrator has tagged keep-sha256-<digest> (it does so for
# the image a pipeline definition, and so its model packages, references at upsert, and for a
# package's image at deploy and batch transform). ECR evaluates rules by priority and "an image
# that matches the tagging requirements of a higher priority rule cannot be expired by a rule
# with a lower priority" (ECR user guide, lifecycle policy evaluation rules), so rule 3's count
# never reaches them. Rule 1's own count is the images-per-repository quota (10,000 when this
# was written), so it cannot fire before the repository is full. The rule with tagStatus "any"
# must have the highest priority number (lifecycle policy properties, rulePriority).
resource "aws_ecr_lifecycle_policy" "this" {
  repository = aws_ecr_repository.this.name
  policy = jsonencode({
    rules = [
      {
        rulePriority = 1
        description  = "Keep every image a pipeline, model package or endpoint references"
        selection = {
          tagStatus     = "tagged"
          tagPrefixList = [var.protection_tag_prefix]
          countType     = "imageCountMoreThan"
          countNumber   = 10000
        }
        action = { type = "expire" }
      },
      {
        rulePriority = 2
        description  = "Expire untagged images after ${var.untagged_image_days} days"
        selection = {
          tagStatus   = "untagged"
          countType   = "sinceImagePushed"
          countUnit   = "days"
          countNumber = var.untagged_image_days
        }
        action = { type = "expire" }
      },
      {
        rulePriority = 3
        description  = "Keep the ${var.image_retention_count} most recent other images"
        selection = {
          tagStatus   = "any"
          countType   = "imageCountMoreThan"
          countNumber = var.image_retention_count
        }
        action = { type = "expire" }
      },
    ]
  })
}
