"""Infrastructure: the Terraform runner, the root module's variables check, tfvars templates."""
