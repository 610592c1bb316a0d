# The trust policies admit exactly the listed GitHub subjects with audience sts.amazonaws.com,
# and the variables refuse what would widen them (wildcards, a pull-request role that also
# deploys, a second provider for the same URL).

# Assertions loop over the module's outputs, never over aws_iam_role.ci[key]: with a dynamic
# key a failed assertion renders every role object, which carries the deprecated
# managed_policy_arns, and Terraform 1.15 crashes on such a value instead of reporting it.

mock_provider "aws" {}

variables {
  github_repository = "octo-org/mlops-platform"
  roles = {
    dev      = { environments = ["dev"] }
    staging  = { environments = ["staging"] }
    prod     = { environments = ["prod"], policy_arns = ["arn:aws:iam::123456789012:policy/terraform-deploy"] }
    dev-plan = { pull_request = true }
  }
}

run "one_role_per_environment" {
  command = apply

  assert {
    condition     = length(aws_iam_openid_connect_provider.github) == 1 && aws_iam_openid_connect_provider.github[0].url == "https://token.actions.githubusercontent.com" && aws_iam_openid_connect_provider.github[0].client_id_list == toset(["sts.amazonaws.com"])
    error_message = "The module creates GitHub's provider with the audience sts.amazonaws.com only."
  }

  assert {
    condition     = output.role_names == { dev = "mlops-ci-dev", staging = "mlops-ci-staging", prod = "mlops-ci-prod", dev-plan = "mlops-ci-dev-plan" } && aws_iam_role.ci["prod"].name == "mlops-ci-prod"
    error_message = "Role names are <role_name_prefix>-<key>, the names environments/<env>.yaml lists in orchestrator_role_names."
  }

  assert {
    condition = alltrue([
      for policy in values(output.trust_policies) : alltrue([
        for statement in jsondecode(policy).Statement :
        statement.Effect == "Allow" && statement.Action == "sts:AssumeRoleWithWebIdentity" &&
        statement.Principal.Federated == aws_iam_openid_connect_provider.github[0].arn &&
        keys(statement.Condition) == ["StringEquals"] &&
        try(statement.Condition.StringEquals["token.actions.githubusercontent.com:aud"], null) == "sts.amazonaws.com"
      ])
    ])
    error_message = "Every role trusts only GitHub's provider, only for AssumeRoleWithWebIdentity, only with aud = sts.amazonaws.com and exact (StringEquals) conditions."
  }

  assert {
    condition = {
      for key, policy in output.trust_policies : key => try(jsondecode(policy).Statement[0].Condition.StringEquals["token.actions.githubusercontent.com:sub"], null)
      } == {
      dev      = ["repo:octo-org/mlops-platform:environment:dev"]
      staging  = ["repo:octo-org/mlops-platform:environment:staging"]
      prod     = ["repo:octo-org/mlops-platform:environment:prod"]
      dev-plan = ["repo:octo-org/mlops-platform:pull_request"]
    }
    error_message = "Each role trusts exactly its environment's subject; the plan role only pull requests."
  }

  assert {
    condition     = length(aws_iam_role_policy_attachment.ci) == 1 && aws_iam_role_policy_attachment.ci["prod/arn:aws:iam::123456789012:policy/terraform-deploy"].role == "mlops-ci-prod"
    error_message = "policy_arns are attached to their own role only."
  }

  assert {
    condition     = output.role_arns["prod"] == aws_iam_role.ci["prod"].arn && output.oidc_provider_arn == aws_iam_openid_connect_provider.github[0].arn
    error_message = "The outputs name the roles and the provider."
  }
}

run "branches_and_an_existing_provider" {
  command = apply

  variables {
    create_oidc_provider = false
    oidc_provider_arn    = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
    role_name_prefix     = "ci"
    roles = {
      dev = { environments = ["dev"], branches = ["main"], name = "platform-dev-deployer" }
    }
  }

  assert {
    condition     = length(aws_iam_openid_connect_provider.github) == 0 && jsondecode(aws_iam_role.ci["dev"].assume_role_policy).Statement[0].Principal.Federated == var.oidc_provider_arn
    error_message = "With an existing provider, nothing is created and the roles trust that one."
  }

  assert {
    condition     = output.subjects["dev"] == ["repo:octo-org/mlops-platform:environment:dev", "repo:octo-org/mlops-platform:ref:refs/heads/main"] && aws_iam_role.ci["dev"].name == "platform-dev-deployer"
    error_message = "Branches become refs/heads/<branch> subjects; an explicit name wins over the prefix."
  }
}

run "repository_with_a_wildcard_is_refused" {
  command = plan

  variables {
    github_repository = "octo-org/*"
  }

  expect_failures = [var.github_repository]
}

run "repository_as_url_is_refused" {
  command = plan

  variables {
    github_repository = "https://github.com/octo-org/mlops-platform"
  }

  expect_failures = [var.github_repository]
}

run "owner_without_repository_is_refused" {
  command = plan

  variables {
    github_repository = "octo-org"
  }

  expect_failures = [var.github_repository]
}

run "provider_created_and_passed_in_is_refused" {
  command = plan

  variables {
    oidc_provider_arn = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
  }

  expect_failures = [var.oidc_provider_arn]
}

run "no_provider_at_all_is_refused" {
  command = plan

  variables {
    create_oidc_provider = false
  }

  expect_failures = [var.oidc_provider_arn]
}

run "another_issuer_is_refused" {
  command = plan

  variables {
    create_oidc_provider = false
    oidc_provider_arn    = "arn:aws:iam::123456789012:oidc-provider/gitlab.com"
  }

  expect_failures = [var.oidc_provider_arn]
}

run "pull_request_role_that_also_deploys_is_refused" {
  command = plan

  variables {
    roles = { dev = { environments = ["dev"], pull_request = true } }
  }

  expect_failures = [var.roles]
}

run "role_without_subjects_is_refused" {
  command = plan

  variables {
    roles = { dev = {} }
  }

  expect_failures = [var.roles]
}

run "wildcard_environment_is_refused" {
  command = plan

  variables {
    roles = { dev = { environments = ["*"] } }
  }

  expect_failures = [var.roles]
}

run "full_ref_as_branch_is_refused" {
  command = plan

  variables {
    roles = { dev = { branches = ["refs/heads/main"] } }
  }

  expect_failures = [var.roles]
}

run "role_arn_as_name_is_refused" {
  command = plan

  variables {
    roles = { dev = { environments = ["dev"], name = "arn:aws:iam::123456789012:role/ci" } }
  }

  expect_failures = [var.roles]
}

run "duplicate_role_names_are_refused" {
  command = plan

  variables {
    roles = {
      dev     = { environments = ["dev"] }
      staging = { environments = ["staging"], name = "MLOPS-CI-DEV" }
    }
  }

  expect_failures = [var.roles]
}

run "session_longer_than_iam_allows_is_refused" {
  command = plan

  variables {
    roles = { dev = { environments = ["dev"], max_session_duration = 86400 } }
  }

  expect_failures = [var.roles]
}

run "policy_name_instead_of_arn_is_refused" {
  command = plan

  variables {
    roles = { dev = { environments = ["dev"], policy_arns = ["AdministratorAccess"] } }
  }

  expect_failures = [var.roles]
}
