//! Import by capacity provider name: the group comes from the capacity provider, the cluster from
//! the user data the group's launch template joins it with, and the rest from a read.

use base64::Engine as _;

use super::{flatten, read_failed};
use crate::resources::container_instance::user_data::parse_user_data;
use crate::resources::Ctx;
use crate::tf::{Diagnostics, Value};

pub(super) async fn import(ctx: &Ctx, id: &str) -> Result<Value, Diagnostics> {
    let not_found = |why: String| {
        Diagnostics::of_error(
            format!("Cannot import capacity provider {id:?}"),
            format!("{why} Import takes the capacity provider's name, e.g. `terraform import awsecs_capacity_provider.web wordpress-web`."),
        )
    };
    let name = id.rsplit('/').next().unwrap_or(id);
    let cp = ctx
        .aws
        .find_capacity_provider(name)
        .await
        .map_err(read_failed(format!("capacity provider {name:?}")))?
        .ok_or_else(|| not_found(format!("No ACTIVE capacity provider has that name in region {}.", ctx.aws.region)))?;
    let group_arn = cp.auto_scaling_group_provider().map(|a| a.auto_scaling_group_arn()).unwrap_or_default();
    let group_name = group_arn
        .rsplit_once("autoScalingGroupName/")
        .map(|(_, n)| n.to_string())
        .ok_or_else(|| not_found("It has no Auto Scaling group.".into()))?;
    let group = ctx
        .aws
        .find_auto_scaling_group(&group_name)
        .await
        .map_err(read_failed(format!("Auto Scaling group {group_name:?}")))?
        .ok_or_else(|| not_found(format!("Its Auto Scaling group {group_name:?} is gone.")))?;
    let spec = group
        .launch_template()
        .or(group.mixed_instances_policy().and_then(|m| m.launch_template()?.launch_template_specification()))
        .ok_or_else(|| {
            not_found(format!(
                "Its Auto Scaling group {group_name:?} launches from no launch template (this resource manages groups with one)."
            ))
        })?;
    let lt_id = spec.launch_template_id().unwrap_or_default();
    let lt = ctx
        .aws
        .find_launch_template_version(lt_id, spec.version().unwrap_or("$Latest"))
        .await
        .map_err(read_failed(format!("launch template {lt_id}")))?;
    let user_data = lt
        .as_ref()
        .and_then(|v| v.launch_template_data())
        .and_then(|d| d.user_data())
        .and_then(|u| base64::engine::general_purpose::STANDARD.decode(u).ok())
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    let (cluster, _) = parse_user_data(&user_data);
    let cluster = cluster.ok_or_else(|| {
        not_found(format!("The user data of launch template {lt_id} sets no ECS_CLUSTER, so the cluster it serves is unknown."))
    })?;
    let seed = Value::object([
        ("name", name.into()),
        ("cluster", cluster.into()),
        ("auto_scaling_group_name", group_name.into()),
        // Written back by the read only when set: an import records what AWS holds.
        ("desired_capacity", Value::opt_int(group.desired_capacity().map(i64::from))),
        ("ami_id", "".into()),
        ("managed_draining", Value::Bool(true)),
        // Terraform-only: not in AWS, so the default.
        ("instance_refresh", Value::Bool(false)),
    ]);
    match flatten::read(ctx, &seed).await? {
        Some(mut v) => {
            // Left out in a configuration, desired capacity is not managed: import it as unmanaged.
            v.set("desired_capacity", Value::Null);
            v.set("timeouts", Value::Null);
            Ok(v)
        }
        None => Err(not_found("It disappeared while it was being imported.".into())),
    }
}
