variable "region" {
  type    = string
  default = "ap-northeast-1"
}

variable "cluster_name" {
  type    = string
  default = "wordpress"
}

variable "instance_type" {
  description = "t2.micro has about 1 GiB: enough for one WordPress container with memory = 300."
  type        = string
  default     = "t2.micro"
}

variable "image" {
  description = "The WordPress image (repository-url/image:tag; Docker Hub when no registry is given). A new value registers a new task definition revision and rolls the service to it."
  type        = string
  default     = "wordpress:6"
}

variable "subnet_id" {
  description = "A subnet of the database's VPC with a route to an internet gateway (the instance gets a public IP)."
  type        = string
}

variable "web_security_group_id" {
  description = "Security group of the instances: 80 open to the world, 22 from your admin network."
  type        = string
}

variable "instance_profile" {
  description = "Instance profile whose role has AmazonEC2ContainerServiceforEC2Role (usually ecsInstanceRole)."
  type        = string
}

variable "key_name" {
  description = "EC2 key pair for SSH to the instance."
  type        = string
}

variable "db_instance_identifier" {
  description = "The existing RDS MySQL instance."
  type        = string
}

variable "db_password_secret_arn" {
  description = "Secrets Manager secret (or SSM parameter) ARN holding the database password."
  type        = string
}

variable "execution_role_arn" {
  description = "ARN of the existing task execution role (usually ecsTaskExecutionRole): AmazonECSTaskExecutionRolePolicy plus secretsmanager:GetSecretValue on db_password_secret_arn (ssm:GetParameters if that is an SSM parameter). ECS uses it to fetch the password when a task starts."
  type        = string
}

variable "capacity" {
  description = "Where the tasks run: \"instance\" (one container instance, as in the walkthrough) or \"provider\" (an Auto Scaling group behind an ECS capacity provider)."
  type        = string
  default     = "instance"

  validation {
    condition     = contains(["instance", "provider"], var.capacity)
    error_message = "The capacity must be \"instance\" or \"provider\"."
  }
}
