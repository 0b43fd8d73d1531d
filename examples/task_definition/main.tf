# The WordPress task definition of the walkthrough: the official image, host port 80 to container
# port 80, the document root on a host directory (so it survives the container), and the database
# connection in the environment, the password fetched from Secrets Manager when the task starts.
#
# Against AWS: `terraform apply` with your usual AWS credentials and region.
# Against a local emulator: `DEMO_EXAMPLE=examples/task_definition make demo`, or
# AWS_ENDPOINT_URL=http://127.0.0.1:PORT.

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

variable "db_host" {
  type    = string
  default = "wordpress-db.abcdefghij.ap-northeast-1.rds.amazonaws.com:3306"
}

variable "db_password_secret_arn" {
  type    = string
  default = "arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:wordpress-db-password-AbCdEf"
}

# The task execution role: ECS reads the secret with it (AWS refuses `secret` without one).
variable "execution_role_arn" {
  type    = string
  default = "arn:aws:iam::123456789012:role/ecsTaskExecutionRole"
}

provider "awsecs" {
  region = var.region

  default_tags {
    tags = {
      managed-by = "terraform"
    }
  }
}

resource "awsecs_task_definition" "wordpress" {
  family             = "wordpress"
  execution_role_arn = var.execution_role_arn

  container {
    name   = "wordpress"
    image  = "wordpress:latest"
    memory = 512 # hard limit in MiB: above it the container is killed
    cpu    = 512 # 1024 units = one core

    port_mapping {
      host_port      = 80
      container_port = 80
    }

    mount_point {
      source_volume  = "wp-html"
      container_path = "/var/www/html"
    }

    environment = {
      WORDPRESS_DB_HOST = var.db_host
      WORDPRESS_DB_USER = "wordpress"
      WORDPRESS_DB_NAME = "wordpress"
    }

    secret {
      name       = "WORDPRESS_DB_PASSWORD"
      value_from = var.db_password_secret_arn
    }
  }

  volume {
    name      = "wp-html"
    host_path = "/ecs/wordpress/html" # persists on the host across task restarts
  }

  tags = {
    app = "wordpress"
  }
}

output "task_definition_arn" {
  value = awsecs_task_definition.wordpress.arn
}

output "revision" {
  value = awsecs_task_definition.wordpress.revision
}
