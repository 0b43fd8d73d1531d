# The smallest useful configuration: one ECS cluster.
#
# Against AWS: `terraform apply` with your usual AWS credentials and region.
# Against a local emulator (what `make demo` does): AWS_ENDPOINT_URL=http://127.0.0.1:PORT.

terraform {
  required_providers {
    awsecs = {
      source = "registry.terraform.io/awsecs/awsecs"
    }
  }
}

variable "region" {
  type    = string
  default = "ap-northeast-1"
}

variable "cluster_name" {
  type    = string
  default = "wordpress"
}

provider "awsecs" {
  region = var.region

  default_tags {
    tags = {
      managed-by = "terraform"
    }
  }
}

resource "awsecs_cluster" "wordpress" {
  name               = var.cluster_name
  container_insights = "disabled"

  tags = {
    app = "wordpress"
  }
}

output "cluster_arn" {
  value = awsecs_cluster.wordpress.arn
}

output "cluster_status" {
  value = awsecs_cluster.wordpress.status
}

output "cluster_tags_all" {
  value = awsecs_cluster.wordpress.tags_all
}
