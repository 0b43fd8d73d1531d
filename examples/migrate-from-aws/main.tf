# The walkthrough's cluster, task definition and service, once managed with hashicorp/aws
# (aws_ecs_cluster.wordpress, aws_ecs_task_definition.wordpress, aws_ecs_service.wordpress), now
# with this provider. The `moved` blocks at the end hand the existing objects over: nothing is
# replaced or changed in AWS. See README.md beside this file for the steps.

terraform {
  # `moved` from one resource type to another (MoveResourceState) needs Terraform 1.8 or later.
  required_version = ">= 1.8"

  required_providers {
    # Still needed: the state names hashicorp/aws until the moves are applied. Keep the version
    # constraint you already had. Remove this entry afterwards if nothing else uses it.
    aws = {
      source = "hashicorp/aws"
    }
    awsecs = {
      source = "registry.terraform.io/awsecs/awsecs"
    }
  }
}

variable "region" {
  type    = string
  default = "ap-northeast-1"
}

variable "db_host" {
  description = "The database endpoint (address:port) the container connects to."
  type        = string
}

variable "execution_role_arn" {
  description = "The task execution role: ECS uses it to fetch the password secret."
  type        = string
}

variable "db_password_secret_arn" {
  description = "The Secrets Manager secret holding the database password."
  type        = string
}

# Kept for as long as `aws` stays in required_providers (the same region as before).
provider "aws" {
  region = var.region
}

provider "awsecs" {
  region = var.region
}

# Was: aws_ecs_cluster.wordpress, with setting { name = "containerInsights", value = "disabled" }.
resource "awsecs_cluster" "wordpress" {
  name               = "wordpress"
  container_insights = "disabled"
}

# Was: aws_ecs_task_definition.wordpress with container_definitions = jsonencode([...]). Each
# container definition becomes a `container` block, in the order ECS lists them (a different
# order is a different task definition: a new revision).
resource "awsecs_task_definition" "wordpress" {
  family             = "wordpress"
  execution_role_arn = var.execution_role_arn

  container {
    name      = "wordpress"
    image     = "wordpress:6.5"
    memory    = 512
    essential = true

    # portMappings = [{ containerPort = 80, hostPort = 80 }]
    port_mapping {
      container_port = 80
      host_port      = 80
    }

    # mountPoints = [{ sourceVolume = "wordpress-html", containerPath = "/var/www/html" }]
    mount_point {
      source_volume  = "wordpress-html"
      container_path = "/var/www/html"
    }

    # environment = [{ name = "WORDPRESS_DB_HOST", value = var.db_host }]: a map here.
    environment = {
      WORDPRESS_DB_HOST = var.db_host
    }

    # secrets = [{ name = "WORDPRESS_DB_PASSWORD", valueFrom = var.db_password_secret_arn }]
    secret {
      name       = "WORDPRESS_DB_PASSWORD"
      value_from = var.db_password_secret_arn
    }
  }

  volume {
    name      = "wordpress-html"
    host_path = "/ecs/wordpress/html"
  }
}

# Was: aws_ecs_service.wordpress. The old configuration wrote `aws_ecs_cluster.wordpress.id`,
# which is the cluster ARN: `.arn` here keeps the same value.
resource "awsecs_service" "wordpress" {
  name            = "wordpress"
  cluster         = awsecs_cluster.wordpress.arn
  task_definition = awsecs_task_definition.wordpress.arn
  desired_count   = 1

  # One instance and host port 80: the old task must stop before a new one can start.
  deployment_minimum_healthy_percent = 0
}

# The hand-over. Keep these blocks until every state that held the old addresses (every
# workspace, every environment) has been applied with them; see README.md.
moved {
  from = aws_ecs_cluster.wordpress
  to   = awsecs_cluster.wordpress
}

moved {
  from = aws_ecs_task_definition.wordpress
  to   = awsecs_task_definition.wordpress
}

moved {
  from = aws_ecs_service.wordpress
  to   = awsecs_service.wordpress
}
