# Connect the WordPress containers to an existing RDS database: one ingress rule on the database's
# security group (TCP on the database port, from the container instances' group), and the endpoint
# for WORDPRESS_DB_HOST. `terraform plan` fails if the database lives in another VPC.
#
# Against AWS: `terraform apply -var db_instance_id=... -var web_sg_id=sg-... -var vpc_id=vpc-...`.

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

variable "db_instance_id" {
  description = "The existing RDS instance identifier."
  type        = string
}

variable "web_sg_id" {
  description = "The container instances' security group (sg-...)."
  type        = string
}

variable "vpc_id" {
  description = "The VPC the container instances run in; null checks the security group's VPC instead."
  type        = string
  default     = null
}

provider "awsecs" {
  region = var.region
}

resource "awsecs_rds_link" "db" {
  db_instance_identifier   = var.db_instance_id
  source_security_group_id = var.web_sg_id
  vpc_id                   = var.vpc_id
  description              = "WordPress on ECS"
}

# Only the endpoint, without opening anything:
data "awsecs_rds_instance" "db" {
  db_instance_identifier = var.db_instance_id
}

output "wordpress_db_host" {
  value = awsecs_rds_link.db.endpoint
}

output "db_password_secret_arn" {
  description = "For a container `secret` block (RDS-managed password); null if RDS does not manage it."
  value       = awsecs_rds_link.db.master_user_secret_arn
}

output "db_engine" {
  value = "${data.awsecs_rds_instance.db.engine} ${data.awsecs_rds_instance.db.engine_version}"
}
