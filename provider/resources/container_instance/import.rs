//! Import: from a container instance ARN or an EC2 instance id, find the cluster (named in the ARN
//! or in the user data, else by scanning every cluster of the region) and the container instance,
//! and take back from the instance what AWS reports only there (user data extra, profile, volume).
//! `metadata_options` is left out (not managed) until the configuration writes it.

use super::flatten::to_state;
use super::user_data::parse_user_data;
use super::{find_by_instance, get_container_instance, get_instance, read_failed, root_volume};
use crate::resources::cluster::cluster_name;
use crate::resources::Ctx;
use crate::tf::{Diagnostics, Value};

pub(super) async fn import(ctx: &Ctx, id: &str) -> Result<Value, Diagnostics> {
    let not_found = |why: String| {
        Diagnostics::of_error(
            format!("Cannot import container instance {id:?}"),
            format!("{why} Import takes a container instance ARN (arn:aws:ecs:REGION:ACCOUNT:container-instance/CLUSTER/ID) or an EC2 instance id (i-...)."),
        )
    };
    let (cluster, ci) = if id.starts_with("arn:") && id.contains(":container-instance/") {
        let clusters: Vec<String> = match cluster_in_ci_arn(id) {
            Some(c) => vec![c.to_string()],
            None => all_cluster_names(ctx).await?,
        };
        let mut found = None;
        let scanning = clusters.len() > 1;
        for c in clusters {
            match get_container_instance(ctx, &c, id).await {
                Ok(Some(ci)) => {
                    found = Some((c, ci));
                    break;
                }
                Ok(None) => {}
                // While scanning every cluster, one that cannot be described is not the one.
                Err(_) if scanning => {}
                Err(d) => return Err(d),
            }
        }
        found.ok_or_else(|| not_found(format!("No cluster in region {} has that container instance.", ctx.aws.region)))?
    } else if id.starts_with("i-") {
        let ud = match instance_user_data(ctx, id).await? {
            Some(ud) => ud,
            None => return Err(not_found(format!("EC2 instance {id} does not exist."))),
        };
        let clusters: Vec<String> = match parse_user_data(&ud).0 {
            Some(c) => vec![c],
            None => all_cluster_names(ctx).await?,
        };
        let mut found = None;
        for c in clusters {
            if let Some(ci) = find_by_instance(ctx, &c, id).await? {
                found = Some((c, ci));
                break;
            }
        }
        found.ok_or_else(|| not_found(format!("EC2 instance {id} is not registered in any ECS cluster.")))?
    } else {
        return Err(not_found("That is neither a container instance ARN nor an EC2 instance id.".into()));
    };
    let instance_id = ci.ec2_instance_id().unwrap_or_default().to_string();
    let instance =
        get_instance(ctx, &instance_id).await?.ok_or_else(|| not_found(format!("EC2 instance {instance_id} no longer exists.")))?;
    let ud = instance_user_data(ctx, &instance_id).await?.unwrap_or_default();
    let profile = instance.iam_instance_profile().and_then(|p| p.arn()).map(|a| a.rsplit('/').next().unwrap_or(a).to_string());
    let volume = root_volume(ctx, &instance).await?;
    let prior = Value::object([
        ("cluster", cluster.into()),
        ("iam_instance_profile", Value::opt_string(profile)),
        ("user_data_extra", Value::opt_string(parse_user_data(&ud).1)),
        ("tags", Value::Null),
    ]);
    let mut state = to_state(&prior, &instance, Some(&ci), volume.as_ref(), &ctx.default_tags);
    state.set("timeouts", Value::Null);
    Ok(state)
}

/// Decoded user data of an instance (empty when it has none); None when the instance does not exist.
async fn instance_user_data(ctx: &Ctx, id: &str) -> Result<Option<String>, Diagnostics> {
    ctx.aws.find_instance_user_data(id).await.map_err(read_failed(format!("the user data of EC2 instance {id}")))
}

/// The names of every cluster in the region (an import id that does not say which cluster).
async fn all_cluster_names(ctx: &Ctx) -> Result<Vec<String>, Diagnostics> {
    let arns = ctx.aws.list_cluster_arns().await.map_err(|e| Diagnostics::of_error("Cannot list ECS clusters", e.to_string()))?;
    Ok(arns.iter().map(|a| cluster_name(a).to_string()).collect())
}

/// The cluster a container instance ARN names, in the long ARN format
/// (`...:container-instance/CLUSTER/ID`); None for the old short format (`...:container-instance/ID`).
fn cluster_in_ci_arn(arn: &str) -> Option<&str> {
    let rest = arn.split_once(":container-instance/")?.1;
    let (cluster, id) = rest.split_once('/')?;
    (!cluster.is_empty() && !id.is_empty()).then_some(cluster)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cluster_in_container_instance_arns() {
        assert_eq!(cluster_in_ci_arn("arn:aws:ecs:r:1:container-instance/wp/abc"), Some("wp"));
        assert_eq!(cluster_in_ci_arn("arn:aws:ecs:r:1:container-instance/abc"), None);
    }
}
