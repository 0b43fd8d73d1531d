output "cluster_arn" {
  value = awsecs_cluster.wordpress.arn
}

output "task_definition_arn" {
  description = "The revision the service runs (family:revision at the end); a new image makes a new one."
  value       = awsecs_task_definition.wordpress.arn
}

output "service_status" {
  value = awsecs_service.wordpress.status
}

output "service_running_count" {
  description = "Tasks running as of the last refresh (2 once the service is steady)."
  value       = awsecs_service.wordpress.running_count
}

output "container_instances" {
  description = "Each container instance: its Availability Zone and ECS status."
  value = {
    for i in awsecs_container_instance.web : i.instance_id => "${i.availability_zone} ${i.status}"
  }
}

output "target_group_arn" {
  description = "The site answers at the DNS name of the load balancer that forwards to this target group."
  value       = var.target_group_arn
}

output "log_streams" {
  description = "Where each container's output goes: one stream per task, named PREFIX/CONTAINER/TASK_ID."
  value       = "${var.log_group_name}: wordpress/wordpress/<task id>"
}

output "db_endpoint" {
  value = awsecs_rds_link.db.endpoint
}
