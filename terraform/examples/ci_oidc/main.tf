# The CI identities of one AWS account: GitHub's OIDC provider and the roles the workflows in
# .github/workflows/ assume. Apply it once per account, before the stack's first apply: the
# stack names these roles in its key policies (orchestrator_principal_arns) and attaches its
# orchestrator policies to them (orchestrator_role_names), so they must exist first.
#
# The placeholders match environments/*.yaml (one account, 111122223333, for all three): with
# one account per environment, apply it in each account with that account's roles only, and
# reuse an existing provider with create_oidc_provider = false and oidc_provider_arn.

provider "aws" {
  region = "eu-west-1"
}

module "ci_oidc" {
  source = "../../modules/ci_oidc"

  github_repository = "octo-org/mlops-platform"

  # Role names mlops-ci-<key>: environments/<key>.yaml lists them in orchestrator_role_names.
  roles = {
    # Jobs with `environment: dev|staging|prod` (main.yml). Give each GitHub environment a
    # deployment branch rule (main only), and prod required reviewers. main.yml's dev job asks
    # for a 3-hour session (apply, image, a whole pipeline run): the role must allow it.
    dev     = { environments = ["dev"], max_session_duration = 10800 }
    staging = { environments = ["staging"] }
    prod    = { environments = ["prod"] }
    # pull-request.yml's plan job: a pull request's code, before review, so its own role. Attach
    # read-only rights for `terraform plan` and the state bucket here (policy_arns); it is not
    # in orchestrator_role_names, so it gets none of the orchestrator's rights.
    dev-plan = { pull_request = true }
  }
}

output "role_arns" {
  description = "role-to-assume per environment: the AWS_ROLE_ARN variable of each GitHub environment (and AWS_PLAN_ROLE_ARN, the repository variable, for dev-plan)."
  value       = module.ci_oidc.role_arns
}

output "subjects" {
  description = "The OIDC subjects each role trusts."
  value       = module.ci_oidc.subjects
}
