variable "github_repository" {
  type        = string
  description = "The repository whose workflows may assume the roles, as owner/name (e.g. octo-org/mlops-platform). It becomes part of every trusted subject, repo:<owner>/<name>:..."

  # GitHub: an owner is 1-39 letters, digits or single hyphens, not starting with a hyphen; a
  # repository name is letters, digits, '.', '_' and '-'. Nothing here may hold IAM's wildcard
  # characters '*' or '?', which would widen an exact subject into a pattern.
  validation {
    condition     = can(regex("^[A-Za-z0-9](-?[A-Za-z0-9]){0,38}/[A-Za-z0-9._-]{1,100}$", var.github_repository)) && !contains([".", ".."], try(split("/", var.github_repository)[1], "."))
    error_message = "github_repository must be owner/name, e.g. octo-org/mlops-platform: the owner 1-39 letters, digits or single hyphens, the name letters, digits, '.', '_' or '-' (no wildcards, no URL)."
  }
}

variable "create_oidc_provider" {
  type        = bool
  description = "Create the account's IAM OIDC provider for https://token.actions.githubusercontent.com. An account holds at most one provider per URL: set false and pass oidc_provider_arn when it exists already (another stack, created by hand)."
  default     = true
}

variable "oidc_provider_arn" {
  type        = string
  description = "ARN of an existing GitHub Actions OIDC provider (arn:aws:iam::<account>:oidc-provider/token.actions.githubusercontent.com); only with create_oidc_provider = false."
  default     = null

  validation {
    condition     = var.oidc_provider_arn == null || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:oidc-provider/token\\.actions\\.githubusercontent\\.com$", var.oidc_provider_arn))
    error_message = "oidc_provider_arn must be the ARN of the GitHub Actions provider: arn:aws:iam::<12 digits>:oidc-provider/token.actions.githubusercontent.com."
  }

  validation {
    condition     = var.create_oidc_provider == (var.oidc_provider_arn == null)
    error_message = "Either create the provider (create_oidc_provider = true, no oidc_provider_arn) or reuse one (create_oidc_provider = false and its oidc_provider_arn), not both and not neither."
  }
}

variable "role_name_prefix" {
  type        = string
  description = "Prefix of the role names: a role without its own name is <role_name_prefix>-<key>, e.g. mlops-ci-dev, which environments/dev.yaml lists in terraform.access.orchestrator_role_names."
  default     = "mlops-ci"

  validation {
    condition     = can(regex("^[A-Za-z0-9+=,.@_-]{1,40}$", var.role_name_prefix))
    error_message = "role_name_prefix must be 1-40 characters of letters, digits and +=,.@_- (role names allow 64)."
  }
}

variable "roles" {
  type = map(object({
    name                 = optional(string)
    environments         = optional(list(string), [])
    branches             = optional(list(string), [])
    pull_request         = optional(bool, false)
    policy_arns          = optional(list(string), [])
    max_session_duration = optional(number, 3600)
  }))
  description = <<-EOT
    One IAM role per key (dev, staging, prod, ...). Each trusts GitHub's OIDC tokens whose aud is
    sts.amazonaws.com and whose sub is exactly one of: repo:<repository>:environment:<E> for each of
    `environments` (a job with `environment: E`), repo:<repository>:ref:refs/heads/<B> for each of
    `branches` (a job without an environment on branch B), repo:<repository>:pull_request when
    `pull_request` (a pull request's jobs). `policy_arns` are attached to it (e.g. the Terraform
    deployment policy); the stack attaches its orchestrator policies itself to the roles named in
    its orchestrator_role_names, so they are not repeated here. `name` defaults to
    <role_name_prefix>-<key>.
  EOT

  validation {
    condition     = length(var.roles) > 0
    error_message = "roles must define at least one role, e.g. { dev = { environments = [\"dev\"] } }."
  }

  validation {
    condition     = alltrue([for role in values(var.roles) : length(role.environments) + length(role.branches) > 0 || role.pull_request])
    error_message = "Every role must trust at least one subject (environments, branches or pull_request); a role without one would trust no workflow."
  }

  # A pull request's workflow runs the pull request's code, before review: a role it may assume
  # must never also be the role of a deployment (an environment or a branch).
  validation {
    condition     = alltrue([for role in values(var.roles) : !role.pull_request || length(role.environments) + length(role.branches) == 0])
    error_message = "A role that trusts pull_request must trust nothing else: give pull requests their own (plan-only) role, never a deployment role."
  }

  validation {
    condition = alltrue(flatten([
      for role in values(var.roles) : [
        for value in concat(role.environments, role.branches) : can(regex("^[A-Za-z0-9._/-]{1,255}$", value)) && !startswith(value, "/") && !endswith(value, "/")
      ]
    ]))
    error_message = "environments and branches must be plain names (letters, digits, '.', '_', '-', '/'; no wildcards '*' or '?', no 'refs/heads/' prefix needed): every subject is matched exactly."
  }

  validation {
    condition     = alltrue([for role in values(var.roles) : alltrue([for branch in role.branches : !startswith(branch, "refs/")])])
    error_message = "branches are branch names such as main; the module adds refs/heads/ itself."
  }

  validation {
    condition     = alltrue([for key, role in var.roles : can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", coalesce(role.name, "${var.role_name_prefix}-${key}")))])
    error_message = "A role's name (default <role_name_prefix>-<key>) must be 1-64 characters of letters, digits and +=,.@_- (an IAM role name, not an ARN)."
  }

  validation {
    condition     = length(distinct([for key, role in var.roles : lower(coalesce(role.name, "${var.role_name_prefix}-${key}"))])) == length(var.roles)
    error_message = "Two roles have the same name (IAM role names are case-insensitive)."
  }

  validation {
    condition     = alltrue([for key in keys(var.roles) : can(regex("^[a-z0-9][a-z0-9-]{0,22}$", key))])
    error_message = "Role keys must be 1-23 lowercase letters, digits or hyphens (dev, staging, prod, dev-plan): a key becomes part of the default role name."
  }

  validation {
    condition     = alltrue(flatten([for role in values(var.roles) : [for arn in role.policy_arns : can(regex("^arn:aws[a-z-]*:iam::([0-9]{12}|aws):policy/.+$", arn))]]))
    error_message = "policy_arns must be IAM managed policy ARNs such as arn:aws:iam::123456789012:policy/terraform-deploy."
  }

  validation {
    condition     = alltrue([for role in values(var.roles) : role.max_session_duration >= 3600 && role.max_session_duration <= 43200 && floor(role.max_session_duration) == role.max_session_duration])
    error_message = "max_session_duration must be whole seconds from 3600 to 43200 (IAM's range)."
  }
}

variable "permissions_boundary_arn" {
  type        = string
  description = "Optional permissions boundary of the roles, for organisations that require one."
  default     = null

  validation {
    condition     = var.permissions_boundary_arn == null || can(regex("^arn:aws[a-z-]*:iam::([0-9]{12}|aws):policy/.+$", var.permissions_boundary_arn))
    error_message = "permissions_boundary_arn must be null or an IAM policy ARN."
  }
}

variable "tags" {
  type        = map(string)
  description = "Tags on the provider and every role."
  default     = {}
}
