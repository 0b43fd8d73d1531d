variable "region" {
  type    = string
  default = "ap-northeast-1"
}

variable "cluster_name" {
  type    = string
  default = "wordpress"
}

variable "instance_type" {
  description = "t3.small registers about 1.9 GiB: room for two WordPress tasks (512 MiB reserved each) while a deployment runs old and new side by side."
  type        = string
  default     = "t3.small"
}

variable "image" {
  description = "The WordPress image (repository-url/image:tag; Docker Hub when no registry is given). A new value registers a new task definition revision and rolls the service to it, two tasks at a time, without an outage."
  type        = string
  default     = "wordpress:6"
}

variable "subnet_ids" {
  description = "Subnets of the database's VPC, one per Availability Zone; one container instance is launched in each. The EFS mount targets and the load balancer must be in the same Availability Zones."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 1
    error_message = "Give at least one subnet (two, in two Availability Zones, for a site that survives the loss of one)."
  }
}

variable "web_security_group_id" {
  description = "Security group of the instances: the load balancer's traffic on the ephemeral port range (dynamic host ports), 22 from your admin network, and allowed into the EFS mount targets on 2049."
  type        = string
}

variable "instance_profile" {
  description = "Instance profile whose role has AmazonEC2ContainerServiceforEC2Role (usually ecsInstanceRole)."
  type        = string
}

variable "key_name" {
  description = "EC2 key pair for SSH to the instances."
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
  description = "ARN of the existing task execution role (usually ecsTaskExecutionRole): AmazonECSTaskExecutionRolePolicy (its logs:CreateLogStream and logs:PutLogEvents are what the awslogs driver writes with) plus secretsmanager:GetSecretValue on db_password_secret_arn. ECS uses it to fetch the password when a task starts."
  type        = string
}

variable "efs_file_system_id" {
  description = "The existing EFS file system for /var/www/html (fs-...), with a mount target in each subnet of subnet_ids whose security group allows NFS (TCP 2049) from web_security_group_id."
  type        = string
}

variable "efs_access_point_id" {
  description = "An access point of that file system (fsap-...) with POSIX user 33:33 (www-data) and a root directory such as /wordpress created for 33:33."
  type        = string
}

variable "target_group_arn" {
  description = "The existing target group (target type instance, HTTP, port 80, in the database's VPC) that a listener of the existing application load balancer forwards to."
  type        = string
}

variable "log_group_name" {
  description = "The existing CloudWatch Logs log group the containers write to (for example /ecs/wordpress)."
  type        = string
}
