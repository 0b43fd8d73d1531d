output "site_url" {
  value = "http://${coalesce(awsecs_container_instance.web.public_ip, awsecs_container_instance.web.private_ip)}/"
}

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

output "container_instance_status" {
  value = awsecs_container_instance.web.status
}

output "db_endpoint" {
  value = awsecs_rds_link.db.endpoint
}
