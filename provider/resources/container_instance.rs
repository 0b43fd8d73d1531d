//! `awsecs_container_instance`: an EC2 instance, launched in the subnet (and so the VPC) the user
//! picks, that joins an ECS cluster through `ECS_CLUSTER` in its user data. It exists, as far as
//! Terraform is concerned, once ECS lists it ACTIVE with its agent connected; destroying it drains
//! it, deregisters it and terminates the EC2 instance.

use async_trait::async_trait;
use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_ec2::types::{
    BlockDeviceMapping, EbsBlockDevice, IamInstanceProfileSpecification, Instance, InstanceNetworkInterfaceSpecification,
    InstanceStateName, InstanceType, ResourceType, TagSpecification, VolumeType,
};
use aws_sdk_ecs::types::{ContainerInstance, ContainerInstanceStatus, DesiredStatus};
use base64::Engine as _;

use super::ecs_optimized_ami;
use super::tags::{self, Tagged};
use crate::aws::errors::{describe, AwsError};
use crate::aws::find::ecs::TaskFilter;
use crate::aws::tags as aws_tags;
use crate::resources::names::ecs_name;
use crate::framework::validate::int_between;
use crate::framework::wait::{Poll, Wait};
use crate::framework::{Failed, PlanRequest, Resource};
use crate::resources::Ctx;
use crate::framework::timeouts::timeouts_block;
use crate::tf::{AttrPath, Attribute, Block, Diagnostics, Schema, Type, Value};

pub struct ContainerInstanceResource;

const CREATE_TIMEOUT: Duration = Duration::from_secs(600);
const DELETE_TIMEOUT: Duration = Duration::from_secs(1200);
/// The agent's configuration file that `ECS_CLUSTER` goes to.
const ECS_CONFIG: &str = "/etc/ecs/ecs.config";

/// The arguments, decoded once.
struct Config {
    cluster: String,
    instance_type: String,
    ami_id: Option<String>,
    subnet_id: Option<String>,
    security_group_ids: Vec<String>,
    key_name: Option<String>,
    iam_instance_profile: Option<String>,
    associate_public_ip_address: Option<bool>,
    root_volume_size: Option<i64>,
    user_data_extra: Option<String>,
    draining: bool,
    tags_all: BTreeMap<String, String>,
}

impl Config {
    fn from(v: &Value) -> Config {
        let s = |k: &str| v.get(k).as_str().map(str::to_string);
        Config {
            cluster: s("cluster").unwrap_or_default(),
            instance_type: s("instance_type").unwrap_or_default(),
            ami_id: s("ami_id"),
            subnet_id: s("subnet_id"),
            security_group_ids: v.get("security_group_ids").to_string_list(),
            key_name: s("key_name"),
            iam_instance_profile: s("iam_instance_profile"),
            associate_public_ip_address: v.get("associate_public_ip_address").as_bool(),
            root_volume_size: v.get("root_volume_size").as_i64(),
            user_data_extra: s("user_data_extra"),
            draining: v.get("draining").as_bool().unwrap_or(false),
            tags_all: v.get("tags_all").to_string_map(),
        }
    }
}

use super::cluster::cluster_name;

/// The cluster a container instance ARN names, in the long ARN format
/// (`...:container-instance/CLUSTER/ID`); None for the old short format (`...:container-instance/ID`).
fn cluster_in_ci_arn(arn: &str) -> Option<&str> {
    let rest = arn.split_once(":container-instance/")?.1;
    let (cluster, id) = rest.split_once('/')?;
    (!cluster.is_empty() && !id.is_empty()).then_some(cluster)
}

/// The user data: join the cluster, then whatever the user adds.
fn user_data(cluster: &str, extra: Option<&str>) -> String {
    let mut s = format!("#!/bin/bash\necho ECS_CLUSTER={cluster} >> {ECS_CONFIG}\n");
    if let Some(e) = extra.filter(|e| !e.is_empty()) {
        // Always one newline more, which import strips again: the text round-trips exactly.
        s.push_str(e);
        s.push('\n');
    }
    s
}

/// (cluster, user_data_extra) from the user data this resource wrote; for import.
fn parse_user_data(text: &str) -> (Option<String>, Option<String>) {
    let cluster = text.lines().find_map(|l| {
        let at = l.find("ECS_CLUSTER=")?;
        let rest = &l[at + "ECS_CLUSTER=".len()..];
        let name: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect();
        (!name.is_empty()).then_some(name)
    });
    let prefix_end = text.find(ECS_CONFIG).and_then(|at| text[at..].find('\n').map(|nl| at + nl + 1));
    let extra = prefix_end.map(|end| text[end..].strip_suffix('\n').unwrap_or(&text[end..]).to_string()).filter(|e| !e.is_empty());
    (cluster, extra)
}

/// `family.size`: letters and digits with a dot, such as `t3.micro`, `m5.xlarge` or `u-6tb1.metal`.
fn check_instance_type(s: &str) -> Result<(), String> {
    let ok = s.split_once('.').is_some_and(|(family, size)| {
        !family.is_empty()
            && !size.is_empty()
            && family.starts_with(|c: char| c.is_ascii_lowercase())
            && family.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && size.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    });
    if ok {
        Ok(())
    } else {
        Err(format!("{s:?} is not an EC2 instance type: write the family and the size joined by a dot, in lower case, such as \"t3.micro\" or \"m5.large\"."))
    }
}

fn check_cluster(s: &str) -> Result<(), String> {
    if s.starts_with("arn:") {
        let ok = s.split(':').nth(2) == Some("ecs") && s.contains(":cluster/") && !cluster_name(s).is_empty();
        if ok {
            return Ok(());
        }
        return Err(format!("{s:?} is not an ECS cluster ARN (arn:aws:ecs:REGION:ACCOUNT:cluster/NAME). Give the cluster name or its ARN."));
    }
    ecs_name(255)(&Value::string(s))
}

fn check_user_data_extra(s: &str) -> Result<(), String> {
    match s.lines().find(|l| l.contains("ECS_CLUSTER")) {
        Some(line) => Err(format!(
            "The line {:?} sets ECS_CLUSTER, which this resource writes itself from `cluster`. Remove it and set `cluster` instead.",
            line.trim()
        )),
        None => Ok(()),
    }
}

fn resource_value(ci: &ContainerInstance, list: fn(&ContainerInstance) -> &[aws_sdk_ecs::types::Resource], name: &str) -> Value {
    Value::opt_int(list(ci).iter().find(|r| r.name() == Some(name)).map(|r| r.integer_value() as i64))
}

fn security_groups(i: &Instance) -> Vec<String> {
    let mut ids: Vec<String> = i.security_groups().iter().filter_map(|g| g.group_id().map(str::to_string)).collect();
    if ids.is_empty() {
        // Groups given through a network interface show there only (in moto, at least).
        ids = i.network_interfaces().iter().flat_map(|n| n.groups()).filter_map(|g| g.group_id().map(str::to_string)).collect();
    }
    ids.sort();
    ids.dedup();
    ids
}

fn instance_state(i: &Instance) -> Option<&InstanceStateName> {
    i.state().and_then(|s| s.name())
}

/// The resource value from what EC2 and ECS say. `prior` supplies the arguments AWS does not report
/// back the way they were written (user data extra, profile, public IP choice, volume size) and the
/// split between configured and default tags.
fn to_state(prior: &Value, i: &Instance, ci: Option<&ContainerInstance>, default_tags: &BTreeMap<String, String>) -> Value {
    let (tags, tags_all) = tags::split(&aws_tags::from_ec2(i.tags()), default_tags, prior.get("tags"));
    let instance_id = i.instance_id().unwrap_or_default().to_string();
    let ci_arn = ci.and_then(|c| c.container_instance_arn()).map(str::to_string);
    let keep = |k: &str| prior.get(k).clone();
    let or_prior = |k: &str, v: Option<String>| v.map(Value::String).unwrap_or_else(|| keep(k));
    let associate = match keep("associate_public_ip_address") {
        Value::Bool(b) => Value::Bool(b),
        _ => Value::Bool(i.public_ip_address().is_some()),
    };
    Value::object([
        ("id", Value::String(ci_arn.clone().unwrap_or_else(|| instance_id.clone()))),
        ("cluster", keep("cluster")),
        ("instance_type", or_prior("instance_type", i.instance_type().map(|t| t.as_str().to_string()))),
        ("ami_id", or_prior("ami_id", i.image_id().map(str::to_string))),
        ("subnet_id", or_prior("subnet_id", i.subnet_id().map(str::to_string))),
        ("security_group_ids", Value::Set(security_groups(i).into_iter().map(Value::String).collect())),
        ("key_name", or_prior("key_name", i.key_name().map(str::to_string))),
        ("iam_instance_profile", keep("iam_instance_profile")),
        ("associate_public_ip_address", associate),
        ("root_volume_size", keep("root_volume_size")),
        ("user_data_extra", keep("user_data_extra")),
        ("draining", Value::Bool(ci.and_then(|c| c.status()) == Some("DRAINING"))),
        ("tags", tags),
        ("tags_all", tags_all),
        ("instance_id", Value::String(instance_id)),
        ("container_instance_arn", Value::opt_string(ci_arn)),
        ("vpc_id", Value::opt_string(i.vpc_id())),
        ("availability_zone", Value::opt_string(i.placement().and_then(|p| p.availability_zone()))),
        ("private_ip", Value::opt_string(i.private_ip_address())),
        ("public_ip", Value::opt_string(i.public_ip_address())),
        ("status", Value::opt_string(ci.and_then(|c| c.status()))),
        ("agent_connected", Value::Bool(ci.is_some_and(|c| c.agent_connected()))),
        ("instance_state", Value::opt_string(instance_state(i).map(|s| s.as_str()))),
        ("registered_cpu", ci.map(|c| resource_value(c, ContainerInstance::registered_resources, "CPU")).unwrap_or(Value::Null)),
        ("registered_memory", ci.map(|c| resource_value(c, ContainerInstance::registered_resources, "MEMORY")).unwrap_or(Value::Null)),
        ("remaining_cpu", ci.map(|c| resource_value(c, ContainerInstance::remaining_resources, "CPU")).unwrap_or(Value::Null)),
        ("remaining_memory", ci.map(|c| resource_value(c, ContainerInstance::remaining_resources, "MEMORY")).unwrap_or(Value::Null)),
        ("running_tasks_count", ci.map(|c| Value::int(c.running_tasks_count() as i64)).unwrap_or(Value::Null)),
    ])
}

/// What exists right after RunInstances: enough for Terraform to track (and later terminate) it.
fn partial_state(planned: &Value, instance_id: &str) -> Value {
    let mut v = planned.clone();
    v.set("id", instance_id.into());
    v.set("instance_id", instance_id.into());
    v
}

fn read_failed(what: String) -> impl FnOnce(AwsError) -> Diagnostics {
    move |e| Diagnostics::of_error(format!("Cannot read {what}"), e.to_string())
}

/// The EC2 instance, or None when EC2 no longer knows it.
async fn get_instance(ctx: &Ctx, id: &str) -> Result<Option<Instance>, Diagnostics> {
    ctx.aws.find_instance(id).await.map_err(read_failed(format!("EC2 instance {id}")))
}

/// The container instance `arn` of `cluster`; None when ECS reports it missing, or the cluster is gone.
async fn get_container_instance(ctx: &Ctx, cluster: &str, arn: &str) -> Result<Option<ContainerInstance>, Diagnostics> {
    ctx.aws.find_container_instance(cluster, arn).await.map_err(read_failed(format!("container instance {arn} of ECS cluster {cluster:?}")))
}

/// The container instance of EC2 instance `instance_id` in `cluster`, whatever its status.
async fn find_by_instance(ctx: &Ctx, cluster: &str, instance_id: &str) -> Result<Option<ContainerInstance>, Diagnostics> {
    ctx.aws
        .find_container_instance_of_ec2(cluster, instance_id)
        .await
        .map_err(read_failed(format!("the container instances of ECS cluster {cluster:?}")))
}

/// "service:task-id" of the service tasks still running on a container instance (draining moves
/// them away; tasks started by hand stay until the instance goes).
async fn service_tasks_on(ctx: &Ctx, cluster: &str, arn: &str) -> Result<Vec<String>, Diagnostics> {
    let fail = read_failed(format!("the tasks on container instance {arn}"));
    let filter = TaskFilter { container_instance: Some(arn), desired_status: Some(DesiredStatus::Running), ..TaskFilter::default() };
    let listed = match ctx.aws.list_task_arns(cluster, filter).await {
        Ok(l) => l,
        Err(e) => return Err(fail(e)),
    };
    let described = match ctx.aws.describe_tasks(cluster, &listed).await {
        Ok(d) => d,
        Err(e) => return Err(fail(e)),
    };
    let mut out = Vec::new();
    for t in described {
        let group = t.group().unwrap_or_default();
        if let Some(service) = group.strip_prefix("service:") {
            if t.last_status() != Some("STOPPED") {
                let id = t.task_arn().unwrap_or_default().rsplit('/').next().unwrap_or_default();
                out.push(format!("{service}/{id}"));
            }
        }
    }
    Ok(out)
}

/// Size in GiB of the instance's root EBS volume (None when it cannot be read: it is informational).
async fn root_volume_size(ctx: &Ctx, i: &Instance) -> Option<i64> {
    ctx.aws.find_root_volume_size(i).await.ok().flatten()
}

/// Decoded user data of an instance (empty when it has none); None when the instance does not exist.
async fn instance_user_data(ctx: &Ctx, id: &str) -> Result<Option<String>, Diagnostics> {
    ctx.aws.find_instance_user_data(id).await.map_err(read_failed(format!("the user data of EC2 instance {id}")))
}

impl ContainerInstanceResource {
    /// The cluster's name, after checking that it exists and is ACTIVE.
    async fn active_cluster(&self, ctx: &Ctx, cluster: &str) -> Result<String, Diagnostics> {
        let found = ctx.aws.find_cluster(cluster).await.map_err(read_failed(format!("ECS cluster {cluster:?}")))?;
        match found.as_ref().filter(|c| c.status() == Some("ACTIVE")).and_then(|c| c.cluster_name()) {
            Some(name) => Ok(name.to_string()),
            None => {
                let mut d = Diagnostics::new();
                d.error_at(
                    AttrPath::root("cluster"),
                    format!("ECS cluster {cluster:?} does not exist"),
                    format!("No ACTIVE cluster with that name or ARN in region {}. Create it first (for example with awsecs_cluster) and refer to it.", ctx.aws.region),
                );
                Err(d)
            }
        }
    }

    /// The subnet and the security groups must be in one VPC; AWS's own error does not say which.
    async fn check_same_vpc(&self, ctx: &Ctx, cfg: &Config) -> Result<(), Diagnostics> {
        let Some(subnet) = &cfg.subnet_id else { return Ok(()) };
        if cfg.security_group_ids.is_empty() {
            return Ok(());
        }
        let at = |attr: &str, summary: String, e: AwsError| {
            let mut d = Diagnostics::new();
            d.error_at(AttrPath::root(attr), summary, e.to_string());
            d
        };
        let found = ctx.aws.find_subnet(subnet).await.map_err(|e| at("subnet_id", format!("Cannot read subnet {subnet}"), e))?;
        let subnet_vpc = found.as_ref().and_then(|s| s.vpc_id()).unwrap_or_default().to_string();
        let mut groups = Vec::new();
        for id in &cfg.security_group_ids {
            let g = ctx.aws.find_security_group(id).await.map_err(|e| at("security_group_ids", format!("Cannot read security group {id}"), e))?;
            groups.extend(g);
        }
        let others: Vec<String> = groups
            .iter()
            .filter(|g| g.vpc_id().unwrap_or_default() != subnet_vpc)
            .map(|g| format!("{} is in {}", g.group_id().unwrap_or("?"), g.vpc_id().unwrap_or("no VPC")))
            .collect();
        if others.is_empty() {
            return Ok(());
        }
        let mut d = Diagnostics::new();
        d.error_at(
            AttrPath::root("security_group_ids"),
            format!("The security groups are not in the subnet's VPC {subnet_vpc}"),
            format!(
                "Subnet {subnet} is in {subnet_vpc}, but {}. An instance can only use security groups of its own VPC: pick groups of {subnet_vpc}, or a subnet of their VPC.",
                others.join(", ")
            ),
        );
        Err(d)
    }

    async fn run_instance(&self, ctx: &Ctx, cfg: &Config, cluster: &str, ami: &str) -> Result<String, Diagnostics> {
        let ud = base64::engine::general_purpose::STANDARD.encode(user_data(cluster, cfg.user_data_extra.as_deref()));
        let mut req = ctx
            .aws
            .ec2
            .run_instances()
            .image_id(ami)
            .instance_type(InstanceType::from(cfg.instance_type.as_str()))
            .min_count(1)
            .max_count(1)
            .user_data(ud)
            .set_key_name(cfg.key_name.clone());
        if let Some(p) = &cfg.iam_instance_profile {
            let spec = if p.starts_with("arn:") {
                IamInstanceProfileSpecification::builder().arn(p).build()
            } else {
                IamInstanceProfileSpecification::builder().name(p).build()
            };
            req = req.iam_instance_profile(spec);
        }
        let groups = (!cfg.security_group_ids.is_empty()).then(|| cfg.security_group_ids.clone());
        if let Some(public) = cfg.associate_public_ip_address {
            // Only a network interface specification can choose the public IP.
            req = req.network_interfaces(
                InstanceNetworkInterfaceSpecification::builder()
                    .device_index(0)
                    .associate_public_ip_address(public)
                    .set_subnet_id(cfg.subnet_id.clone())
                    .set_groups(groups)
                    .delete_on_termination(true)
                    .build(),
            );
        } else {
            req = req.set_subnet_id(cfg.subnet_id.clone()).set_security_group_ids(groups);
        }
        if let Some(size) = cfg.root_volume_size {
            req = req.block_device_mappings(
                BlockDeviceMapping::builder()
                    .device_name("/dev/xvda")
                    .ebs(EbsBlockDevice::builder().volume_size(size as i32).volume_type(VolumeType::Gp3).delete_on_termination(true).build())
                    .build(),
            );
        }
        if let Some(tags) = aws_tags::to_ec2(&cfg.tags_all) {
            req = req.tag_specifications(TagSpecification::builder().resource_type(ResourceType::Instance).set_tags(Some(tags)).build());
        }
        tracing::info!(cluster, instance_type = %cfg.instance_type, ami, "launching EC2 instance for ECS cluster");
        let out = req
            .send()
            .await
            .map_err(|e| Diagnostics::of_error(format!("Cannot launch an EC2 instance for ECS cluster {cluster:?}"), describe(&e)))?;
        out.instances().first().and_then(|i| i.instance_id()).map(str::to_string).ok_or_else(|| {
            Diagnostics::of_error("EC2 launched no instance", "RunInstances succeeded but returned no instance id. Check the EC2 console for a stray instance.")
        })
    }

    /// Waits for EC2 "running", then for ECS to list the instance ACTIVE with its agent connected:
    /// one wait, so the timeout in the message is the one configured.
    async fn wait_registered(&self, ctx: &Ctx, cluster: &str, instance_id: &str, timeout: Duration) -> Result<(Instance, ContainerInstance), Diagnostics> {
        Wait::new(ctx, format!("EC2 instance {instance_id} to run and join ECS cluster {cluster:?} (ACTIVE, agent connected)"), timeout)
            .until(|| async {
                let instance = match get_instance(ctx, instance_id).await? {
                    Some(i) if instance_state(&i) == Some(&InstanceStateName::Running) => i,
                    Some(i) => {
                        return Ok(Poll::Pending(format!("EC2 instance state {}", instance_state(&i).map(|s| s.as_str()).unwrap_or("unknown"))))
                    }
                    None => return Ok(Poll::Pending("EC2 does not list the instance yet".into())),
                };
                match find_by_instance(ctx, cluster, instance_id).await? {
                    Some(ci) if ci.status() == Some("ACTIVE") && ci.agent_connected() => Ok(Poll::Done((instance, ci))),
                    Some(ci) => Ok(Poll::Pending(format!(
                        "container instance {} is {}, agent {}",
                        ci.container_instance_arn().unwrap_or("?"),
                        ci.status().unwrap_or("?"),
                        if ci.agent_connected() { "connected" } else { "not connected" }
                    ))),
                    None => Ok(Poll::Pending(
                        "the instance is running, but the ECS agent has not registered it yet (check that the AMI runs the ECS agent, that the instance can reach the ECS API, and that its instance profile allows ecs:RegisterContainerInstance)".into(),
                    )),
                }
            })
            .await
    }

    /// The current state from the instance id and, when known, the container instance ARN.
    async fn read_state(&self, ctx: &Ctx, state: &Value) -> Result<Option<Value>, Diagnostics> {
        let cluster = state.get("cluster").as_str().unwrap_or_default().to_string();
        let instance_id = state.get("instance_id").as_str().unwrap_or_default().to_string();
        let Some(instance) = get_instance(ctx, &instance_id).await? else { return Ok(None) };
        if matches!(instance_state(&instance), Some(InstanceStateName::Terminated | InstanceStateName::ShuttingDown)) {
            return Ok(None);
        }
        let ci = match state.get("container_instance_arn").as_str() {
            Some(arn) => match get_container_instance(ctx, &cluster, arn).await? {
                Some(ci) if ci.status() != Some("INACTIVE") && ci.status() != Some("DEREGISTERING") => Some(ci),
                // Deregistered: it has left the cluster, which is what this resource stands for.
                _ => return Ok(None),
            },
            // A create that failed before the instance registered: it may have joined since.
            None => find_by_instance(ctx, &cluster, &instance_id).await?,
        };
        Ok(Some(to_state(state, &instance, ci.as_ref(), &ctx.default_tags)))
    }

    async fn set_status(&self, ctx: &Ctx, cluster: &str, arn: &str, status: ContainerInstanceStatus) -> Result<(), Diagnostics> {
        tracing::info!(container_instance = arn, status = status.as_str(), "changing container instance status");
        ctx.aws
            .ecs
            .update_container_instances_state()
            .cluster(cluster)
            .container_instances(arn)
            .status(status.clone())
            .send()
            .await
            .map_err(|e| Diagnostics::of_error(format!("Cannot set container instance {arn} to {}", status.as_str()), describe(&e)))?;
        Ok(())
    }
}

#[async_trait]
impl Resource<Ctx> for ContainerInstanceResource {
    fn type_name(&self) -> &'static str {
        "awsecs_container_instance"
    }

    fn schema(&self) -> Schema {
        let computed = |name: &'static str, ty: Type, what: &str| Attribute::computed(name, ty).describe(what.to_string());
        Schema::new(
            0,
            Block::new("An EC2 instance that joins an ECS cluster (through `ECS_CLUSTER` in its user data), in the subnet you pick. It is created when ECS lists it ACTIVE with its agent connected; destroying it drains it, deregisters it and terminates the instance.\n\nImport with the container instance ARN or the EC2 instance id: `terraform import awsecs_container_instance.node i-0abc...`.")
                .attr(computed("id", Type::String, "The container instance ARN (the EC2 instance id while the instance has not registered yet)."))
                .attr(
                    Attribute::required("cluster", Type::String)
                        .force_new()
                        .equivalent_when(super::cluster::same_cluster)
                        .validate(|v| check_cluster(v.as_str().unwrap_or("")))
                        .describe("Name or ARN of the ECS cluster to join. Changing it creates a new instance."),
                )
                .attr(
                    Attribute::required("instance_type", Type::String)
                        .force_new()
                        .validate(|v| check_instance_type(v.as_str().unwrap_or("")))
                        .describe("EC2 instance type, such as `t3.small`. Changing it creates a new instance."),
                )
                .attr(
                    Attribute::optional_computed("ami_id", Type::String)
                        .force_new()
                        .describe("Image to launch. Left out: the newest ECS-optimized Amazon Linux 2 x86_64 image, chosen by the date in its name, looked up when the instance is planned (and kept afterwards)."),
                )
                .attr(Attribute::optional_computed("subnet_id", Type::String).force_new().describe("Subnet to launch in; it decides the VPC. Left out: a default subnet of the default VPC."))
                .attr(
                    Attribute::optional_computed("security_group_ids", Type::set(Type::String))
                        .force_new()
                        .describe("Security groups, all in the subnet's VPC (checked before launch). Left out: the VPC's default group."),
                )
                .attr(Attribute::optional("key_name", Type::String).force_new().describe("EC2 key pair for SSH."))
                .attr(
                    Attribute::optional("iam_instance_profile", Type::String)
                        .force_new()
                        .describe("Name or ARN of the instance profile; its role needs the ECS agent's permissions (AmazonEC2ContainerServiceforEC2Role)."),
                )
                .attr(
                    Attribute::optional_computed("associate_public_ip_address", Type::Bool)
                        .force_new()
                        .describe("Whether the instance gets a public IP. Left out: the subnet's setting."),
                )
                .attr(
                    Attribute::optional_computed("root_volume_size", Type::Number)
                        .force_new()
                        .validate(int_between(1, 16384))
                        .describe("Size of the root volume in GiB. Left out: the image's size."),
                )
                .attr(
                    Attribute::optional("user_data_extra", Type::String)
                        .force_new()
                        .validate(|v| check_user_data_extra(v.as_str().unwrap_or("")))
                        .describe("Shell lines appended to the user data after the lines that join the cluster. Must not set `ECS_CLUSTER`."),
                )
                .attr(
                    Attribute::optional("draining", Type::Bool)
                        .default(false)
                        .describe("`true` sets the container instance to DRAINING (no new tasks are placed on it; service tasks move away); `false` sets it back to ACTIVE."),
                )
                .attr(tags::tags_attribute().describe("Tags of the EC2 instance. Provider `default_tags` are added to them (see `tags_all`)."))
                .attr(tags::tags_all_attribute())
                .attr(computed("instance_id", Type::String, "The EC2 instance id."))
                .attr(computed("container_instance_arn", Type::String, "The container instance ARN."))
                .attr(computed("vpc_id", Type::String, "The VPC the instance is in."))
                .attr(computed("availability_zone", Type::String, "The instance's availability zone."))
                .attr(computed("private_ip", Type::String, "Private IPv4 address."))
                .attr(computed("public_ip", Type::String, "Public IPv4 address, if any."))
                .attr(computed("status", Type::String, "Container instance status: `ACTIVE`, `DRAINING`, `INACTIVE`, ...").volatile())
                .attr(computed("agent_connected", Type::Bool, "Whether the ECS agent on the instance is connected (false while the instance is stopped)."))
                .attr(computed("instance_state", Type::String, "EC2 state: `running`, `stopped`, ..."))
                .attr(computed("registered_cpu", Type::Number, "CPU units the instance offers to tasks (1024 per vCPU)."))
                .attr(computed("registered_memory", Type::Number, "Memory (MiB) the instance offers to tasks."))
                .attr(computed("remaining_cpu", Type::Number, "CPU units not reserved by running tasks, as of the last refresh.").volatile())
                .attr(computed("remaining_memory", Type::Number, "Memory (MiB) not reserved by running tasks, as of the last refresh.").volatile())
                .attr(computed("running_tasks_count", Type::Number, "Tasks running on the instance, as of the last refresh.").volatile())
                .block(timeouts_block(&["create", "delete"])),
        )
    }

    async fn modify_plan(&self, ctx: Option<&Ctx>, req: &PlanRequest<'_>, planned: &mut Value, diags: &mut Diagnostics) {
        // A new instance without an image: show which one it gets.
        if (req.create || req.replace) && req.config.get("ami_id").is_null() {
            if let Some(ctx) = ctx {
                match ecs_optimized_ami::lookup(ctx, "amazon-linux-2", "x86_64").await {
                    Ok((id, _)) => planned.set("ami_id", id.into()),
                    Err(d) => {
                        for x in d.0 {
                            diags.error_at(AttrPath::root("ami_id"), x.summary, x.detail);
                        }
                    }
                }
            }
        }
    }

    async fn create(&self, ctx: &Ctx, planned: &Value) -> Result<Value, Failed> {
        let cfg = Config::from(planned);
        let cluster = self.active_cluster(ctx, &cfg.cluster).await?;
        self.check_same_vpc(ctx, &cfg).await?;
        let ami = match &cfg.ami_id {
            Some(a) => a.clone(),
            None => ecs_optimized_ami::lookup(ctx, "amazon-linux-2", "x86_64").await?.0,
        };
        let instance_id = self.run_instance(ctx, &cfg, &cluster, &ami).await?;
        let mut partial = partial_state(planned, &instance_id);
        partial.set("ami_id", ami.clone().into());
        let timeout = ctx.timeout(planned, "create", CREATE_TIMEOUT);
        let (instance, ci) = match self.wait_registered(ctx, &cluster, &instance_id, timeout).await {
            Ok(x) => x,
            Err(mut d) => {
                if let Some(first) = d.0.first_mut() {
                    first.detail.push_str(&format!(
                        "\n\nEC2 instance {instance_id} was launched and is kept in the state (tainted): the next apply replaces it, and `terraform destroy` terminates it."
                    ));
                }
                return Err(Failed::with_partial(d, partial));
            }
        };
        let arn = ci.container_instance_arn().unwrap_or_default().to_string();
        if cfg.draining {
            if let Err(d) = self.set_status(ctx, &cluster, &arn, ContainerInstanceStatus::Draining).await {
                partial.set("container_instance_arn", arn.clone().into());
                partial.set("id", arn.into());
                return Err(Failed::with_partial(d, partial));
            }
        }
        let ci = match get_container_instance(ctx, &cluster, &arn).await {
            Ok(Some(fresh)) => fresh,
            _ => ci,
        };
        let mut state = to_state(planned, &instance, Some(&ci), &ctx.default_tags);
        state.set("ami_id", ami.into());
        if state.get("root_volume_size").is_unknown() || state.get("root_volume_size").is_null() {
            state.set("root_volume_size", Value::opt_int(root_volume_size(ctx, &instance).await));
        }
        tracing::info!(instance_id = %instance_id, container_instance = %arn, "container instance joined the cluster");
        Ok(state)
    }

    async fn read(&self, ctx: &Ctx, state: &Value) -> Result<Option<Value>, Diagnostics> {
        self.read_state(ctx, state).await
    }

    async fn update(&self, ctx: &Ctx, prior: &Value, planned: &Value) -> Result<Value, Failed> {
        let cfg = Config::from(planned);
        let cluster = prior.get("cluster").as_str().unwrap_or_default().to_string();
        let instance_id = prior.get("instance_id").as_str().unwrap_or_default().to_string();
        if prior.get("draining").as_bool().unwrap_or(false) != cfg.draining {
            let Some(arn) = prior.get("container_instance_arn").as_str() else {
                return Err(Diagnostics::of_error(
                    format!("EC2 instance {instance_id} has not joined ECS cluster {cluster:?}"),
                    "`draining` can only change once the instance is registered. Wait for the ECS agent, or replace the instance (`terraform apply -replace=...`).",
                )
                .into());
            };
            let status = if cfg.draining { ContainerInstanceStatus::Draining } else { ContainerInstanceStatus::Active };
            self.set_status(ctx, &cluster, arn, status).await?;
        }
        tags::update(ctx, Tagged::Ec2(&instance_id), prior.get("tags_all"), planned.get("tags_all"), &format!("EC2 instance {instance_id}")).await?;
        match self.read_state(ctx, planned).await? {
            Some(v) => Ok(v),
            None => Err(Diagnostics::of_error(
                format!("Container instance of EC2 instance {instance_id} disappeared while it was being updated"),
                "The instance was terminated or deregistered outside Terraform. Run `terraform apply` again to launch a new one.",
            )
            .into()),
        }
    }

    async fn delete(&self, ctx: &Ctx, prior: &Value) -> Result<(), Diagnostics> {
        let cluster = prior.get("cluster").as_str().unwrap_or_default().to_string();
        let instance_id = prior.get("instance_id").as_str().unwrap_or_default().to_string();
        let timeout = ctx.timeout(prior, "delete", DELETE_TIMEOUT);
        let started = std::time::Instant::now();
        let arn = match prior.get("container_instance_arn").as_str() {
            Some(a) => Some(a.to_string()),
            None => find_by_instance(ctx, &cluster, &instance_id).await?.and_then(|c| c.container_instance_arn().map(str::to_string)),
        };
        if let Some(arn) = &arn {
            if get_container_instance(ctx, &cluster, arn).await?.is_some() {
                self.set_status(ctx, &cluster, arn, ContainerInstanceStatus::Draining).await?;
                Wait::new(ctx, format!("container instance {arn} to finish draining (no service tasks left on it)"), timeout)
                    .until(|| async {
                        match get_container_instance(ctx, &cluster, arn).await? {
                            None => Ok(Poll::Done(())),
                            Some(ci) if ci.running_tasks_count() == 0 => Ok(Poll::Done(())),
                            Some(_) => match service_tasks_on(ctx, &cluster, arn).await? {
                                tasks if tasks.is_empty() => Ok(Poll::Done(())),
                                tasks => Ok(Poll::Pending(format!("{} service task(s) still running: {}", tasks.len(), tasks.join(", ")))),
                            },
                        }
                    })
                    .await?;
                tracing::info!(container_instance = %arn, "deregistering container instance");
                // Forced: tasks not started by a service (which draining leaves alone) end with the instance.
                if let Err(e) = ctx.aws.ecs.deregister_container_instance().cluster(&cluster).container_instance(arn).force(true).send().await {
                    // Gone meanwhile is fine (some emulators answer a missing one with HTTP 500).
                    if get_container_instance(ctx, &cluster, arn).await?.is_some() {
                        return Err(Diagnostics::of_error(format!("Cannot deregister container instance {arn}"), describe(&e)));
                    }
                }
            }
        }
        tracing::info!(instance_id = %instance_id, "terminating EC2 instance");
        match ctx.aws.ec2.terminate_instances().instance_ids(&instance_id).send().await {
            Ok(_) => {}
            Err(e) if AwsError::from_sdk(&e).has_code("InvalidInstanceID.NotFound") => return Ok(()),
            Err(e) => return Err(Diagnostics::of_error(format!("Cannot terminate EC2 instance {instance_id}"), describe(&e))),
        }
        let left = timeout.saturating_sub(started.elapsed());
        Wait::new(ctx, format!("EC2 instance {instance_id} to be terminated"), left)
            .until(|| async {
                match get_instance(ctx, &instance_id).await? {
                    None => Ok(Poll::Done(())),
                    Some(i) if instance_state(&i) == Some(&InstanceStateName::Terminated) => Ok(Poll::Done(())),
                    Some(i) => Ok(Poll::Pending(format!("instance state {}", instance_state(&i).map(|s| s.as_str()).unwrap_or("unknown")))),
                }
            })
            .await
    }

    async fn import(&self, ctx: &Ctx, id: &str) -> Result<Value, Diagnostics> {
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
        let instance = get_instance(ctx, &instance_id).await?.ok_or_else(|| not_found(format!("EC2 instance {instance_id} no longer exists.")))?;
        let ud = instance_user_data(ctx, &instance_id).await?.unwrap_or_default();
        let profile = instance.iam_instance_profile().and_then(|p| p.arn()).map(|a| a.rsplit('/').next().unwrap_or(a).to_string());
        let prior = Value::object([
            ("cluster", cluster.into()),
            ("iam_instance_profile", Value::opt_string(profile)),
            ("root_volume_size", Value::opt_int(root_volume_size(ctx, &instance).await)),
            ("user_data_extra", Value::opt_string(parse_user_data(&ud).1)),
            ("tags", Value::Null),
        ]);
        let mut state = to_state(&prior, &instance, Some(&ci), &ctx.default_tags);
        state.set("timeouts", Value::Null);
        Ok(state)
    }
}

/// The names of every cluster in the region (an import id that does not say which cluster).
async fn all_cluster_names(ctx: &Ctx) -> Result<Vec<String>, Diagnostics> {
    let arns = ctx.aws.list_cluster_arns().await.map_err(|e| Diagnostics::of_error("Cannot list ECS clusters", e.to_string()))?;
    Ok(arns.iter().map(|a| cluster_name(a).to_string()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instance_types() {
        for ok in ["t2.micro", "m5.xlarge", "c6gn.16xlarge", "u-6tb1.metal"] {
            assert!(check_instance_type(ok).is_ok(), "{ok}");
        }
        for bad in ["t2micro", "T2.micro", "t2.", ".micro", "t2.micro.x", "2t.micro", ""] {
            let e = check_instance_type(bad).err().unwrap_or_else(|| panic!("{bad:?} accepted"));
            assert!(e.contains("t3.micro"), "{e}");
        }
    }

    #[test]
    fn user_data_extra_must_not_set_the_cluster() {
        assert!(check_user_data_extra("yum install -y htop\necho ECS_ENABLE_TASK_IAM_ROLE=true >> /etc/ecs/ecs.config").is_ok());
        let e = check_user_data_extra("echo ECS_CLUSTER=other >> /etc/ecs/ecs.config").unwrap_err();
        assert!(e.contains("ECS_CLUSTER=other") && e.contains("`cluster`"), "{e}");
    }

    #[test]
    fn user_data_round_trips_through_import_parsing() {
        let ud = user_data("wp", Some("echo hi"));
        assert!(ud.contains("ECS_CLUSTER=wp >> /etc/ecs/ecs.config"), "{ud}");
        assert_eq!(parse_user_data(&ud), (Some("wp".to_string()), Some("echo hi".to_string())));
        let two_lines = "a\nb\n";
        assert_eq!(parse_user_data(&user_data("wp", Some(two_lines))).1.as_deref(), Some(two_lines));
        assert_eq!(parse_user_data(&user_data("a-b_c", None)), (Some("a-b_c".to_string()), None));
        assert_eq!(parse_user_data("#!/bin/bash\n"), (None, None));
    }

    #[test]
    fn cluster_names_and_arns() {
        assert_eq!(cluster_name("arn:aws:ecs:ap-northeast-1:123456789012:cluster/wp"), "wp");
        assert_eq!(cluster_name("wp"), "wp");
        assert!(check_cluster("arn:aws:ecs:ap-northeast-1:123456789012:cluster/wp").is_ok());
        assert!(check_cluster("arn:aws:ec2:ap-northeast-1:123456789012:instance/i-1").is_err());
        assert!(check_cluster("bad name").is_err());
        assert_eq!(cluster_in_ci_arn("arn:aws:ecs:r:1:container-instance/wp/abc"), Some("wp"));
        assert_eq!(cluster_in_ci_arn("arn:aws:ecs:r:1:container-instance/abc"), None);
    }
}
