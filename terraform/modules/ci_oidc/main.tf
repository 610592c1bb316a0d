# GitHub Actions' OIDC provider and one role per environment for the platform's CI, so no
# workflow holds a stored AWS key: a job asks GitHub for an OIDC token and exchanges it with
# sts:AssumeRoleWithWebIdentity for the role its environment names.
#
# Each trust policy admits exactly the subjects listed for that role (StringEquals, never a
# StringLike pattern), and only tokens whose audience is sts.amazonaws.com, the audience
# aws-actions/configure-aws-credentials requests. Subject formats (GitHub Docs, "OpenID Connect
# reference", subject claims): a job that references an environment gets
# repo:<owner>/<repo>:environment:<name>; otherwise a pull request's job gets
# repo:<owner>/<repo>:pull_request and a branch's job repo:<owner>/<repo>:ref:refs/heads/<branch>.
#
# The stack (terraform/ root) attaches its four orchestrator policies to the roles named in its
# orchestrator_role_names; this module's role names (<role_name_prefix>-<key>, mlops-ci-dev, ...)
# are the names environments/<env>.yaml lists there, so the roles must exist before the stack's
# first apply and are not given those policies twice.

locals {
  issuer_host = "token.actions.githubusercontent.com"
  audience    = "sts.amazonaws.com"

  provider_arn = var.create_oidc_provider ? aws_iam_openid_connect_provider.github[0].arn : var.oidc_provider_arn

  role_names = { for key, role in var.roles : key => coalesce(role.name, "${var.role_name_prefix}-${key}") }

  subjects = {
    for key, role in var.roles : key => concat(
      [for environment in role.environments : "repo:${var.github_repository}:environment:${environment}"],
      [for branch in role.branches : "repo:${var.github_repository}:ref:refs/heads/${branch}"],
      role.pull_request ? ["repo:${var.github_repository}:pull_request"] : [],
    )
  }

  policy_attachments = merge([
    for key, role in var.roles : {
      for arn in role.policy_arns : "${key}/${arn}" => { role = key, policy_arn = arn }
    }
  ]...)
}

# GitHub's tokens are checked against the provider's keys; AWS secures the connection to
# GitHub's issuer with its own trusted root CAs, so no thumbprint is pinned here
# (thumbprint_list is optional in the provider since 5.x and AWS ignores it for this issuer).
resource "aws_iam_openid_connect_provider" "github" {
  count = var.create_oidc_provider ? 1 : 0

  url            = "https://${local.issuer_host}"
  client_id_list = [local.audience]
  tags           = var.tags
}

resource "aws_iam_role" "ci" {
  for_each = var.roles

  name                 = local.role_names[each.key]
  description          = "GitHub Actions (${var.github_repository}) CI role for ${each.key}: OIDC only, no stored keys."
  max_session_duration = each.value.max_session_duration
  permissions_boundary = var.permissions_boundary_arn
  tags                 = merge(var.tags, { github_repository = var.github_repository })

  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "GitHubActionsOidc"
        Effect    = "Allow"
        Principal = { Federated = local.provider_arn }
        Action    = "sts:AssumeRoleWithWebIdentity"
        Condition = {
          StringEquals = {
            "${local.issuer_host}:aud" = local.audience
            "${local.issuer_host}:sub" = local.subjects[each.key]
          }
        }
      },
    ]
  })
}

resource "aws_iam_role_policy_attachment" "ci" {
  for_each = local.policy_attachments

  role       = aws_iam_role.ci[each.value.role].name
  policy_arn = each.value.policy_arn
}
