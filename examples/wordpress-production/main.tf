# The walkthrough's WordPress on Amazon ECS (examples/wordpress), grown up for production: shared
# storage on EFS instead of a directory on one host, two tasks on two instances behind an existing
# application load balancer, logs in CloudWatch, a container health check, and deployments that
# roll back by themselves. See README.md beside this file for what each piece protects against.

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

locals {
  container_name = "wordpress"
}

# The cluster, with CloudWatch Container Insights: CPU, memory and task counts per service and
# instance, so a container creeping towards its memory limit shows before it is killed.
resource "awsecs_cluster" "wordpress" {
  name               = var.cluster_name
  container_insights = "enabled"
}

# One container instance per subnet, so one per Availability Zone, all in the database's VPC.
# With the files on EFS, a task can run on either instance, and losing one leaves the other
# serving. (An Auto Scaling group behind a capacity provider, as in examples/wordpress with
# capacity = "provider", would also bring a lost instance back.)
resource "awsecs_container_instance" "web" {
  count = length(var.subnet_ids)

  cluster            = awsecs_cluster.wordpress.name
  instance_type      = var.instance_type
  subnet_id          = var.subnet_ids[count.index]
  security_group_ids = [var.web_security_group_id]
  # The walkthrough's subnets are public and have no NAT gateway: without a public address the
  # instance cannot reach ECS or Docker Hub. Visitors come through the load balancer.
  associate_public_ip_address = true
  iam_instance_profile        = var.instance_profile
  key_name                    = var.key_name

  tags = {
    Name = "${var.cluster_name}-web-${count.index + 1}"
  }
}

# The existing database: its endpoint for the container, and ingress from the web security group.
# Planning fails here, before anything is created, if the instances are not in the database's VPC.
resource "awsecs_rds_link" "db" {
  db_instance_identifier   = var.db_instance_identifier
  source_security_group_id = var.web_security_group_id
  vpc_id                   = awsecs_container_instance.web[0].vpc_id
}

resource "awsecs_task_definition" "wordpress" {
  family = "wordpress"

  # ECS uses it to fetch the password secret below when a task starts (as in examples/wordpress),
  # and the awslogs driver writes the logs with it (logs:CreateLogStream, logs:PutLogEvents).
  execution_role_arn = var.execution_role_arn

  container {
    name  = local.container_name
    image = var.image
    # Placement reserves 512 MiB per task; the container may grow to 1024 MiB before it is killed,
    # so a burst of traffic does not end it at the first spike above its usual size.
    memory_reservation = 512
    memory             = 1024
    cpu                = 256
    essential          = true

    # No host_port: each task gets an ephemeral host port, so the old and new tasks of a
    # deployment fit side by side on one instance, and the load balancer learns the port from ECS.
    port_mapping {
      container_port = 80
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

    # Docker runs this inside the container; three failures in a row (after the start period)
    # mark it UNHEALTHY and ECS replaces the task. A 500 (no database) fails it, a redirect passes.
    health_check {
      command      = ["CMD-SHELL", "curl -fsS -o /dev/null http://localhost/wp-login.php || exit 1"]
      interval     = 30
      timeout      = 5
      retries      = 3
      start_period = 120
    }

    # Apache's access and error logs go to CloudWatch Logs, one stream per task
    # (wordpress/wordpress/TASK_ID), and stay there after the container and its instance are gone.
    log_configuration {
      log_driver = "awslogs"
      options = {
        "awslogs-group"         = var.log_group_name
        "awslogs-region"        = var.region
        "awslogs-stream-prefix" = "wordpress"
      }
    }
  }

  # /var/www/html (uploads, plugins, themes) on EFS: the same files for every task on every
  # instance, kept when an instance is replaced.
  volume {
    name = "wordpress-html"

    efs_volume_configuration {
      file_system_id = var.efs_file_system_id
      # With an access point this must be "/" (or left out): the access point's own root
      # directory (/wordpress) is what the task sees.
      root_directory = "/"
      # TLS between the instance and EFS; required with an access point.
      transit_encryption = "ENABLED"

      authorization_config {
        access_point_id = var.efs_access_point_id
        # ENABLED would mount with the task role (task_role_arn) and let a file system policy
        # decide; this example has no task role.
        iam = "DISABLED"
      }
    }
  }
}

resource "awsecs_service" "wordpress" {
  name            = "wordpress"
  cluster         = awsecs_cluster.wordpress.arn
  task_definition = awsecs_task_definition.wordpress.arn

  # Two tasks, spread over the Availability Zones (then the instances): one may stop, or one
  # instance die, and the site still answers.
  desired_count = 2

  ordered_placement_strategy {
    type  = "spread"
    field = "attribute:ecs.availability-zone"
  }

  ordered_placement_strategy {
    type  = "spread"
    field = "instanceId"
  }

  # A deployment starts up to two new tasks next to the old two (200 %) and never runs fewer than
  # one healthy task (50 %): no outage. Compare examples/wordpress, which must stop its one task first.
  deployment_minimum_healthy_percent = 50
  deployment_maximum_percent         = 200

  # A new revision whose tasks keep failing (they will not start, exit, or fail their health
  # checks) marks the deployment FAILED, and ECS goes back to the last revision that worked.
  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  # ECS registers each task (instance id and its ephemeral host port) in the target group, and
  # deregisters it (after the target group's deregistration delay) before it stops the task.
  load_balancer {
    target_group_arn = var.target_group_arn
    container_name   = local.container_name
    container_port   = 80
  }

  # For the first five minutes of a task, failing load balancer and container health checks do not
  # get it replaced: the first start copies WordPress onto an empty file system.
  health_check_grace_period_seconds = 300

  # The tasks carry the service's tags (app = wordpress), for cost allocation.
  propagate_tags = "SERVICE"

  # Tasks need instances to run on; this also destroys the service before the instances.
  depends_on = [awsecs_container_instance.web]
}
