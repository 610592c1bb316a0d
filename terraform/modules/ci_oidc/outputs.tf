output "oidc_provider_arn" {
  description = "ARN of the GitHub Actions OIDC provider the roles trust (created here or passed in)."
  value       = local.provider_arn
}

output "role_arns" {
  description = "Role ARN per key: the role-to-assume of the workflow jobs, and what environments/<env>.yaml lists in terraform.access.orchestrator_principal_arns."
  value       = { for key, role in aws_iam_role.ci : key => role.arn }
}

output "role_names" {
  description = "Role name per key: what environments/<env>.yaml lists in terraform.access.orchestrator_role_names, so the stack attaches its orchestrator policies to it."
  value       = local.role_names
}

output "subjects" {
  description = "The OIDC subjects (sub claims) each role trusts, exactly."
  value       = local.subjects
}

output "trust_policies" {
  description = "Trust policy (JSON) per key, for review and for audits of IAM's 2,048-character trust policy quota."
  value       = { for key, role in aws_iam_role.ci : key => role.assume_role_policy }
}
