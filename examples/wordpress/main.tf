# WordPress on Amazon ECS, as the walkthrough builds it by hand in the console, with this provider
# only. See README.md beside this file for what each piece is and how to run it.

terraform {
  required_providers {
    awsecs = {
      source = "registry.terraform.io/awsecs/awsecs"
    }
  }
}

provider "awsecs" {
  region = var.region

  default_tags {
    tags = {
      app = "wordpress"
    }
  }
}

# The cluster: only a name. Instances join it through ECS_CLUSTER in their user data.
resource "awsecs_cluster" "wordpress" {
  name = var.cluster_name
}

# The capacity, one of two ways (var.capacity):
# - "instance" (the walkthrough): one container instance from the ECS-optimized AMI, in a subnet of
#   the database's VPC (the console wizard would have put it in a new VPC the database cannot be
#   reached from);
# - "provider" (the walkthrough's wizard, in the right VPC): an Auto Scaling group behind an ECS
#   capacity provider, which replaces an instance that dies and, with managed scaling, grows the
#   group when tasks need room.
resource "awsecs_container_instance" "web" {
  count = var.capacity == "instance" ? 1 : 0

  cluster                     = awsecs_cluster.wordpress.name
  instance_type               = var.instance_type
  subnet_id                   = var.subnet_id
  security_group_ids          = [var.web_security_group_id]
  associate_public_ip_address = true
  iam_instance_profile        = var.instance_profile
  key_name                    = var.key_name

  tags = {
    Name = "${var.cluster_name}-web"
  }
}

resource "awsecs_capacity_provider" "web" {
  count = var.capacity == "provider" ? 1 : 0

  cluster              = awsecs_cluster.wordpress.name
  name                 = "${var.cluster_name}-web"
  instance_type        = var.instance_type
  subnet_ids           = [var.subnet_id]
  security_group_ids   = [var.web_security_group_id]
  iam_instance_profile = var.instance_profile
  key_name             = var.key_name
  min_size             = 1
  max_size             = 2

  managed_scaling {
    target_capacity = 100
  }

  tags = {
    Name = "${var.cluster_name}-web"
  }
}

locals {
  # Where the instances are, whichever way they come.
  web_vpc_id = var.capacity == "instance" ? awsecs_container_instance.web[0].vpc_id : awsecs_capacity_provider.web[0].vpc_id
}

# The existing database: its endpoint for the container, and ingress from the web security group.
# Planning fails here, before anything is created, if the instance is not in the database's VPC.
resource "awsecs_rds_link" "db" {
  db_instance_identifier   = var.db_instance_identifier
  source_security_group_id = var.web_security_group_id
  vpc_id                   = local.web_vpc_id
}

# A new image (var.image) registers a new revision (a replacement: a revision cannot change) and
# the service below rolls to it.
resource "awsecs_task_definition" "wordpress" {
  family = "wordpress"

  # The task execution role: ECS (not the container, and not the instance role) uses it to fetch
  # the `secret` below when a task starts, and AWS refuses a task definition with secrets and no
  # execution role. Pre-existing, like the database. Its policies: secretsmanager:GetSecretValue on
  # var.db_password_secret_arn (plus kms:Decrypt if the secret is encrypted with your own KMS key),
  # and the managed AmazonECSTaskExecutionRolePolicy (ECR image pulls, CloudWatch logs).
  execution_role_arn = var.execution_role_arn

  container {
    name      = "wordpress"
    image     = var.image
    memory    = 300
    cpu       = 256
    essential = true

    port_mapping {
      container_port = 80
      host_port      = 80
    }

    mount_point {
      source_volume  = "wordpress-html"
      container_path = "/var/www/html"
    }

    environment = {
      WORDPRESS_DB_HOST = awsecs_rds_link.db.endpoint
      WORDPRESS_DB_USER = awsecs_rds_link.db.master_username
      WORDPRESS_DB_NAME = awsecs_rds_link.db.db_name
    }

    secret {
      name       = "WORDPRESS_DB_PASSWORD"
      value_from = var.db_password_secret_arn
    }
  }

  # A host path keeps uploads and plugins across container restarts.
  volume {
    name      = "wordpress-html"
    host_path = "/ecs/wordpress/html"
  }
}

resource "awsecs_service" "wordpress" {
  name            = "wordpress"
  cluster         = awsecs_cluster.wordpress.arn
  task_definition = awsecs_task_definition.wordpress.arn
  desired_count   = 1

  # One instance and a fixed host port (80): the new task of a deployment cannot start while the
  # old one holds the port, so ECS must stop the old task first. With the default 100 the old task
  # may never stop and a new image never rolls out. 0 lets it: a short outage during each deploy.
  # To deploy without one: a second instance (old and new task side by side), or a dynamic host
  # port (host_port left out) behind a load balancer.
  deployment_minimum_healthy_percent = 0

  # With the capacity provider, the tasks run on its instances.
  dynamic "capacity_provider_strategy" {
    for_each = awsecs_capacity_provider.web
    content {
      capacity_provider = capacity_provider_strategy.value.name
    }
  }

  # Tasks need an instance to run on; this also destroys the service before the instances.
  depends_on = [awsecs_container_instance.web, awsecs_capacity_provider.web]
}
