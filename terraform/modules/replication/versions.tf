terraform {
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 6.0, < 7.0"
      # aws: the source buckets' region (replication configuration; IAM is global).
      # aws.replica: the replica region (replica key and buckets).
      configuration_aliases = [aws.replica]
    }
  }
}
