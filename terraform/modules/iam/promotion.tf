# Train once, promote (orchestrator promote, docs/promotion.md). The target environment's
# orchestrator copies an Approved model of this stack into its own account; it reads this stack
# through a role it assumes, which exists only when promotion_reader_principal_arns names who
# may assume it (the next environment's CI role). Read-only: the Approved packages of this
# stack's groups, the objects they point at (artifacts, and the schema in the data bucket),
# key use to decrypt them, and a pull of the image.

variable "promotion_reader_principal_arns" {
  type        = list(string)
  description = "Roles or users of the next environment (its CI role) that may assume this stack's promotion reader role to copy an Approved model out (orchestrator promote --from-role-arn). Empty: no reader role."
  default     = []

  validation {
    condition     = alltrue([for arn in var.promotion_reader_principal_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/.+$", arn))])
    error_message = "promotion_reader_principal_arns must be IAM role or user ARNs such as arn:aws:iam::222233334444:role/mlops-ci-staging."
  }
}

resource "aws_iam_role" "promotion_reader" {
  count = length(var.promotion_reader_principal_arns) > 0 ? 1 : 0

  name                 = "${var.name_prefix}-promotion-reader"
  description          = "Lets the next environment read ${var.name_prefix}'s Approved models to promote them"
  permissions_boundary = var.permissions_boundary_arn
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { AWS = distinct(var.promotion_reader_principal_arns) }
      Action    = "sts:AssumeRole"
    }]
  })
  tags = var.tags
}

resource "aws_iam_role_policy" "promotion_reader" {
  count = length(aws_iam_role.promotion_reader)

  name = "read-approved-models"
  role = aws_iam_role.promotion_reader[0].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "ReadProjectModels"
        Effect   = "Allow"
        Action   = ["sagemaker:DescribeModelPackage", "sagemaker:DescribeModelPackageGroup"]
        Resource = concat(local.group_arns, local.package_arns)
      },
      {
        Sid      = "FindModelPackages"
        Effect   = "Allow"
        Action   = ["sagemaker:ListModelPackageGroups", "sagemaker:ListModelPackages"]
        Resource = "*"
      },
      {
        Sid      = "ReadModelObjects"
        Effect   = "Allow"
        Action   = ["s3:GetObject"]
        Resource = ["${var.artifacts_bucket_arn}/*", "${var.data_bucket_arn}/*"]
      },
      {
        Sid      = "ListModelObjects"
        Effect   = "Allow"
        Action   = ["s3:GetBucketLocation", "s3:ListBucket"]
        Resource = local.project_buckets
      },
      {
        Sid      = "DecryptModelObjects"
        Effect   = "Allow"
        Action   = ["kms:Decrypt", "kms:DescribeKey"]
        Resource = local.project_keys
      },
      {
        Sid      = "EcrLogin"
        Effect   = "Allow"
        Action   = ["ecr:GetAuthorizationToken"]
        Resource = "*"
      },
      {
        Sid      = "PullProjectImage"
        Effect   = "Allow"
        Action   = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
        Resource = [var.ecr_repository_arn]
      },
    ]
  })
}

output "promotion_reader_role_arn" {
  description = "The role the next environment assumes to promote this stack's models (null when promotion_reader_principal_arns is empty)."
  value       = one(aws_iam_role.promotion_reader[*].arn)
}
