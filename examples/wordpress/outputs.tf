output "site_url" {
  description = "With the capacity provider, the instance's address is in the EC2 console (or behind a load balancer)."
  value       = var.capacity == "instance" ? "http://${coalesce(awsecs_container_instance.web[0].public_ip, awsecs_container_instance.web[0].private_ip)}/" : null
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
  value = var.capacity == "instance" ? awsecs_container_instance.web[0].status : null
}

output "capacity_provider_instances" {
  description = "With the capacity provider: the group's instances that are ACTIVE in the cluster."
  value       = var.capacity == "provider" ? awsecs_capacity_provider.web[0].registered_count : null
}

output "db_endpoint" {
  value = awsecs_rds_link.db.endpoint
}
