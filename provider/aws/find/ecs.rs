//! ECS reads: clusters, container instances, services, tasks and task definitions.
//!
//! "Not there" for ECS: a ClusterNotFoundException, a `failures` entry with reason MISSING (left
//! out of the answer), an INACTIVE status (clusters, services, task definitions when asked for
//! ACTIVE ones), and "Unable to describe task definition" for a revision AWS does not know.

use std::collections::HashMap;

use aws_sdk_ecs::types::{
    Cluster, ClusterField, ContainerInstance, ContainerInstanceStatus, DesiredStatus, Service, ServiceField, Tag, Task, TaskDefinition,
    TaskDefinitionField, TaskDefinitionStatus,
};

use crate::aws::errors::AwsError;
use crate::aws::Aws;

/// DescribeServices takes at most this many services per call.
const SERVICES_PER_CALL: usize = 10;
/// DescribeContainerInstances and DescribeTasks take at most this many per call.
const PER_CALL: usize = 100;

fn cluster_missing(e: &AwsError) -> bool {
    e.has_code("ClusterNotFoundException")
}

/// What to list tasks by (ListTasks filters).
#[derive(Clone, Debug, Default)]
pub struct TaskFilter<'a> {
    pub container_instance: Option<&'a str>,
    pub service_name: Option<&'a str>,
    pub started_by: Option<&'a str>,
    pub desired_status: Option<DesiredStatus>,
}

impl Aws {
    /// The cluster `id` (name or ARN) names, with its tags and settings; None when it is missing or
    /// INACTIVE (deleted). Concurrent reads share one DescribeClusters of up to 100.
    pub async fn find_cluster(&self, id: &str) -> Result<Option<Cluster>, AwsError> {
        let ecs = self.ecs.clone();
        self.clusters
            .get("", id, move |ids| {
                let ecs = ecs.clone();
                async move {
                    let out = ecs
                        .describe_clusters()
                        .set_clusters(Some(ids))
                        .include(ClusterField::Tags)
                        .include(ClusterField::Settings)
                        .send()
                        .await
                        .map_err(|e| AwsError::from_sdk(&e))?;
                    let mut by_id = HashMap::new();
                    for c in out.clusters().iter().filter(|c| c.status() != Some("INACTIVE")) {
                        for k in [c.cluster_arn(), c.cluster_name()].into_iter().flatten() {
                            by_id.insert(k.to_string(), c.clone());
                        }
                    }
                    Ok(by_id)
                }
            })
            .await
    }

    /// The ARNs of every cluster in the region.
    pub async fn list_cluster_arns(&self) -> Result<Vec<String>, AwsError> {
        self.ecs.list_clusters().into_paginator().items().send().try_collect().await.map_err(|e| AwsError::from_sdk(&e))
    }

    /// The container instance ARNs of `cluster` (all statuses, or only `status`); empty when the
    /// cluster does not exist.
    pub async fn list_container_instance_arns(
        &self,
        cluster: &str,
        status: Option<ContainerInstanceStatus>,
    ) -> Result<Vec<String>, AwsError> {
        let listed =
            self.ecs.list_container_instances().cluster(cluster).set_status(status).into_paginator().items().send().try_collect().await;
        match listed.map_err(|e| AwsError::from_sdk(&e)) {
            Err(e) if cluster_missing(&e) => Ok(Vec::new()),
            other => other,
        }
    }

    /// The container instance `arn` of `cluster`, batched with the other reads of that cluster.
    /// None when ECS reports it missing, or the cluster is gone.
    pub async fn find_container_instance(&self, cluster: &str, arn: &str) -> Result<Option<ContainerInstance>, AwsError> {
        let ecs = self.ecs.clone();
        let cluster_owned = cluster.to_string();
        self.container_instances
            .get(cluster, arn, move |ids| {
                let (ecs, cluster) = (ecs.clone(), cluster_owned.clone());
                async move {
                    let out = match ecs.describe_container_instances().cluster(&cluster).set_container_instances(Some(ids)).send().await {
                        Ok(o) => o,
                        Err(e) => {
                            let e = AwsError::from_sdk(&e);
                            return if cluster_missing(&e) { Ok(HashMap::new()) } else { Err(e) };
                        }
                    };
                    Ok(out
                        .container_instances()
                        .iter()
                        .filter_map(|c| Some((c.container_instance_arn()?.to_string(), c.clone())))
                        .collect::<HashMap<_, _>>())
                }
            })
            .await
    }

    /// Container instances of `cluster` by ARN, `PER_CALL` per DescribeContainerInstances.
    pub async fn describe_container_instances(&self, cluster: &str, arns: &[String]) -> Result<Vec<ContainerInstance>, AwsError> {
        let mut out = Vec::new();
        for chunk in arns.chunks(PER_CALL) {
            let got = self
                .ecs
                .describe_container_instances()
                .cluster(cluster)
                .set_container_instances(Some(chunk.to_vec()))
                .send()
                .await
                .map_err(|e| AwsError::from_sdk(&e))?;
            out.extend(got.container_instances().iter().cloned());
        }
        Ok(out)
    }

    /// The container instance of EC2 instance `instance_id` in `cluster`, whatever its status.
    pub async fn find_container_instance_of_ec2(&self, cluster: &str, instance_id: &str) -> Result<Option<ContainerInstance>, AwsError> {
        let arns = self.list_container_instance_arns(cluster, None).await?;
        for chunk in arns.chunks(PER_CALL) {
            let found = self.describe_container_instances(cluster, chunk).await?;
            if let Some(ci) = found.into_iter().find(|c| c.ec2_instance_id() == Some(instance_id)) {
                return Ok(Some(ci));
            }
        }
        Ok(None)
    }

    /// The service ARNs of `cluster`; empty when the cluster does not exist.
    pub async fn list_service_arns(&self, cluster: &str) -> Result<Vec<String>, AwsError> {
        match self
            .ecs
            .list_services()
            .cluster(cluster)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|e| AwsError::from_sdk(&e))
        {
            Err(e) if cluster_missing(&e) => Ok(Vec::new()),
            other => other,
        }
    }

    /// Service `name` (or ARN) of `cluster` with its tags, whatever its status (ECS keeps INACTIVE
    /// services for a while; callers decide what INACTIVE means to them). None when ECS does not
    /// know it or the cluster is gone. Concurrent reads share one DescribeServices of up to 10.
    pub async fn find_service(&self, cluster: &str, name: &str) -> Result<Option<Service>, AwsError> {
        let ecs = self.ecs.clone();
        let cluster_owned = cluster.to_string();
        self.services
            .get(cluster, name, move |names| {
                let (ecs, cluster) = (ecs.clone(), cluster_owned.clone());
                async move {
                    let out = match ecs
                        .describe_services()
                        .cluster(&cluster)
                        .set_services(Some(names))
                        .include(ServiceField::Tags)
                        .send()
                        .await
                    {
                        Ok(out) => out,
                        Err(e) => {
                            let e = AwsError::from_sdk(&e);
                            return if cluster_missing(&e) { Ok(HashMap::new()) } else { Err(e) };
                        }
                    };
                    let mut by_name = HashMap::new();
                    for s in out.services() {
                        for k in [s.service_name(), s.service_arn()].into_iter().flatten() {
                            by_name.insert(k.to_string(), s.clone());
                        }
                    }
                    Ok(by_name)
                }
            })
            .await
    }

    /// Services of `cluster` by ARN or name, 10 per DescribeServices.
    pub async fn describe_services(&self, cluster: &str, names: &[String]) -> Result<Vec<Service>, AwsError> {
        let mut out = Vec::new();
        for chunk in names.chunks(SERVICES_PER_CALL) {
            let got = self
                .ecs
                .describe_services()
                .cluster(cluster)
                .set_services(Some(chunk.to_vec()))
                .send()
                .await
                .map_err(|e| AwsError::from_sdk(&e))?;
            out.extend(got.services().iter().cloned());
        }
        Ok(out)
    }

    /// Task ARNs of `cluster` that match `filter`; empty when the cluster does not exist.
    pub async fn list_task_arns(&self, cluster: &str, filter: TaskFilter<'_>) -> Result<Vec<String>, AwsError> {
        let listed = self
            .ecs
            .list_tasks()
            .cluster(cluster)
            .set_container_instance(filter.container_instance.map(str::to_string))
            .set_service_name(filter.service_name.map(str::to_string))
            .set_started_by(filter.started_by.map(str::to_string))
            .set_desired_status(filter.desired_status)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await;
        match listed.map_err(|e| AwsError::from_sdk(&e)) {
            Err(e) if cluster_missing(&e) => Ok(Vec::new()),
            other => other,
        }
    }

    /// Task `arn` of `cluster`; None when ECS no longer knows it (it forgets stopped tasks after
    /// about an hour) or the cluster is gone. Concurrent reads share one DescribeTasks of up to 100.
    pub async fn find_task(&self, cluster: &str, arn: &str) -> Result<Option<Task>, AwsError> {
        let ecs = self.ecs.clone();
        let cluster_owned = cluster.to_string();
        self.tasks
            .get(cluster, arn, move |keys| {
                let (ecs, cluster) = (ecs.clone(), cluster_owned.clone());
                async move {
                    let out = match ecs.describe_tasks().cluster(&cluster).set_tasks(Some(keys)).send().await {
                        Ok(out) => out,
                        Err(e) => {
                            let e = AwsError::from_sdk(&e);
                            return if cluster_missing(&e) { Ok(HashMap::new()) } else { Err(e) };
                        }
                    };
                    Ok(out.tasks().iter().filter_map(|t| Some((t.task_arn()?.to_string(), t.clone()))).collect::<HashMap<_, _>>())
                }
            })
            .await
    }

    /// Tasks of `cluster` by ARN, 100 per DescribeTasks.
    pub async fn describe_tasks(&self, cluster: &str, arns: &[String]) -> Result<Vec<Task>, AwsError> {
        let mut out = Vec::new();
        for chunk in arns.chunks(PER_CALL) {
            let got = self
                .ecs
                .describe_tasks()
                .cluster(cluster)
                .set_tasks(Some(chunk.to_vec()))
                .send()
                .await
                .map_err(|e| AwsError::from_sdk(&e))?;
            out.extend(got.tasks().iter().cloned());
        }
        Ok(out)
    }

    /// The task definition `id` (ARN, family:revision, or family for the latest ACTIVE revision)
    /// with its tags, or None when AWS does not know it. INACTIVE revisions are returned: callers
    /// decide (a resource whose revision was deregistered reads it as gone).
    pub async fn find_task_definition(&self, id: &str) -> Result<Option<(TaskDefinition, Vec<Tag>)>, AwsError> {
        match self.ecs.describe_task_definition().task_definition(id).include(TaskDefinitionField::Tags).send().await {
            Ok(out) => Ok(out.task_definition().map(|td| (td.clone(), out.tags().to_vec()))),
            Err(e) => {
                let e = AwsError::from_sdk(&e);
                if task_definition_unknown(&e) {
                    Ok(None)
                } else {
                    Err(e)
                }
            }
        }
    }

    /// The ARN of the highest ACTIVE revision of `family`, if any.
    pub async fn find_latest_task_definition_arn(&self, family: &str) -> Result<Option<String>, AwsError> {
        let arns: Vec<String> = self
            .ecs
            .list_task_definitions()
            .family_prefix(family)
            .status(TaskDefinitionStatus::Active)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|e| AwsError::from_sdk(&e))?;
        let mut best: Option<(i64, String)> = None;
        for arn in arns {
            // familyPrefix matches prefixes in AWS: keep only this family.
            let Some((fam, rev)) = arn.rsplit('/').next().and_then(|t| t.rsplit_once(':')) else { continue };
            let Ok(rev) = rev.parse::<i64>() else { continue };
            if fam == family && best.as_ref().map_or(true, |(b, _)| rev > *b) {
                best = Some((rev, arn.clone()));
            }
        }
        Ok(best.map(|(_, arn)| arn))
    }
}

/// ECS's answer for a task definition revision it does not know (a ClientException, not a
/// not-found code).
pub fn task_definition_unknown(e: &AwsError) -> bool {
    e.has_code("ClientException") && e.message.contains("Unable to describe task definition")
}
