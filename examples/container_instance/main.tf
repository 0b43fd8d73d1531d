# A cluster and one container instance in a subnet you choose (the VPC of your database, say),
# launched from the newest ECS-optimized Amazon Linux 2 image.
#
# Against AWS: set subnet_id and security_group_id (a group of the subnet's VPC with port 80 open),
# and instance_profile (a role with AmazonEC2ContainerServiceforEC2Role), then `terraform apply`.

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

variable "subnet_id" {
  type = string
}

variable "security_group_id" {
  type = string
}

variable "instance_profile" {
  type    = string
  default = "ecsInstanceRole"
}

variable "key_name" {
  type    = string
  default = null
}

provider "awsecs" {
  region = var.region
}

resource "awsecs_cluster" "wordpress" {
  name = "wordpress"
}

data "awsecs_ecs_optimized_ami" "al2" {
  family       = "amazon-linux-2"
  architecture = "x86_64"
}

resource "awsecs_container_instance" "node" {
  cluster                     = awsecs_cluster.wordpress.name
  instance_type               = "t3.small"
  ami_id                      = data.awsecs_ecs_optimized_ami.al2.id
  subnet_id                   = var.subnet_id
  security_group_ids          = [var.security_group_id]
  iam_instance_profile        = var.instance_profile
  key_name                    = var.key_name
  associate_public_ip_address = true
  user_data_extra             = "echo ECS_ENABLE_CONTAINER_METADATA=true >> /etc/ecs/ecs.config"

  tags = {
    Name = "wordpress-node"
  }

  timeouts {
    create = "15m"
  }
}

output "public_ip" {
  value = awsecs_container_instance.node.public_ip
}

output "capacity" {
  value = "${awsecs_container_instance.node.registered_cpu} CPU units, ${awsecs_container_instance.node.registered_memory} MiB"
}
