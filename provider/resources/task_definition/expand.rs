//! Configuration value -> AWS SDK types: what `create` sends to RegisterTaskDefinition.

use std::collections::HashMap;

use aws_sdk_ecs::types::{
    Compatibility, ContainerCondition, ContainerDefinition, ContainerDependency, CpuArchitecture, EfsAuthorizationConfig,
    EfsAuthorizationConfigIam, EfsTransitEncryption, EfsVolumeConfiguration, EnvironmentFile, EnvironmentFileType, EphemeralStorage,
    HealthCheck, HostVolumeProperties, IpcMode, KernelCapabilities, KeyValuePair, LinuxParameters, LogConfiguration, LogDriver, MountPoint,
    NetworkMode, OsFamily, PidMode, PortMapping, RepositoryCredentials, RuntimePlatform, Secret, TaskDefinitionPlacementConstraint,
    TaskDefinitionPlacementConstraintType, Tmpfs, TransportProtocol, Ulimit, UlimitName, Volume, VolumeFrom,
};

use super::s;
use crate::tf::Value;

/// The `container` blocks, in order; Err names the container whose block AWS's builders refused.
pub(super) fn container_definitions(planned: &Value) -> Result<Vec<ContainerDefinition>, String> {
    planned.get("container").as_list().unwrap_or(&[]).iter().map(container_definition).collect()
}

/// The `volume` blocks; None when there are none.
pub(super) fn volumes(planned: &Value) -> Result<Option<Vec<Volume>>, String> {
    let list = planned.get("volume").as_list().unwrap_or(&[]).iter().map(volume).collect::<Result<Vec<Volume>, String>>()?;
    Ok(if list.is_empty() { None } else { Some(list) })
}

pub(super) fn pid_mode(planned: &Value) -> Option<PidMode> {
    planned.get("pid_mode").as_str().map(PidMode::from)
}

pub(super) fn ipc_mode(planned: &Value) -> Option<IpcMode> {
    planned.get("ipc_mode").as_str().map(IpcMode::from)
}

pub(super) fn runtime_platform(planned: &Value) -> Option<RuntimePlatform> {
    match planned.get("runtime_platform") {
        rp @ Value::Object(_) => Some(
            RuntimePlatform::builder()
                .set_cpu_architecture(rp.get("cpu_architecture").as_str().map(CpuArchitecture::from))
                .set_operating_system_family(rp.get("operating_system_family").as_str().map(OsFamily::from))
                .build(),
        ),
        _ => None,
    }
}

pub(super) fn ephemeral_storage(planned: &Value) -> Option<EphemeralStorage> {
    opt_i32(planned.get("ephemeral_storage").get("size_in_gib")).map(|n| EphemeralStorage::builder().size_in_gib(n).build())
}

pub(super) fn placement_constraints(planned: &Value) -> Option<Vec<TaskDefinitionPlacementConstraint>> {
    let list: Vec<_> = planned
        .get("placement_constraint")
        .as_list()
        .unwrap_or(&[])
        .iter()
        .map(|c| {
            TaskDefinitionPlacementConstraint::builder()
                .r#type(TaskDefinitionPlacementConstraintType::from(c.get("type").as_str().unwrap_or("memberOf")))
                .set_expression(c.get("expression").as_str().map(str::to_string))
                .build()
        })
        .collect();
    (!list.is_empty()).then_some(list)
}

pub(super) fn network_mode(planned: &Value) -> NetworkMode {
    NetworkMode::from(planned.get("network_mode").as_str().unwrap_or("bridge"))
}

/// `requires_compatibilities`; None when it is not set.
pub(super) fn requires_compatibilities(planned: &Value) -> Option<Vec<Compatibility>> {
    planned
        .get("requires_compatibilities")
        .as_list()
        .map(|_| planned.get("requires_compatibilities").to_string_list().iter().map(|c| Compatibility::from(c.as_str())).collect())
}

fn opt_i32(v: &Value) -> Option<i32> {
    v.as_i64().and_then(|n| i32::try_from(n).ok())
}

fn opt_list(v: &Value) -> Option<Vec<String>> {
    v.as_list().map(|_| v.to_string_list())
}

fn opt_bool(v: &Value) -> Option<bool> {
    v.as_bool()
}

fn items(v: &Value) -> &[Value] {
    v.as_list().unwrap_or(&[])
}

fn secret_list(v: &Value, what: &str) -> Result<Option<Vec<Secret>>, String> {
    let list = items(v)
        .iter()
        .map(|sv| Secret::builder().name(s(sv, "name")).value_from(s(sv, "value_from")).build().map_err(|e| format!("{what}: {e}")))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((!list.is_empty()).then_some(list))
}

fn health_check(hc: &Value) -> Result<Option<HealthCheck>, String> {
    if !matches!(hc, Value::Object(_)) {
        return Ok(None);
    }
    HealthCheck::builder()
        .set_command(opt_list(hc.get("command")))
        .set_interval(opt_i32(hc.get("interval")))
        .set_timeout(opt_i32(hc.get("timeout")))
        .set_retries(opt_i32(hc.get("retries")))
        .set_start_period(opt_i32(hc.get("start_period")))
        .build()
        .map(Some)
        .map_err(|e| e.to_string())
}

fn linux_parameters(lp: &Value) -> Result<Option<LinuxParameters>, String> {
    if !matches!(lp, Value::Object(_)) {
        return Ok(None);
    }
    let caps = match lp.get("capabilities") {
        c @ Value::Object(_) => {
            Some(KernelCapabilities::builder().set_add(opt_list(c.get("add"))).set_drop(opt_list(c.get("drop"))).build())
        }
        _ => None,
    };
    let tmpfs = items(lp.get("tmpfs"))
        .iter()
        .map(|t| {
            Tmpfs::builder()
                .container_path(s(t, "container_path"))
                .set_size(opt_i32(t.get("size")))
                .set_mount_options(opt_list(t.get("mount_options")))
                .build()
                .map_err(|e| e.to_string())
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(
        LinuxParameters::builder()
            .set_init_process_enabled(opt_bool(lp.get("init_process_enabled")))
            .set_shared_memory_size(opt_i32(lp.get("shared_memory_size")))
            .set_capabilities(caps)
            .set_tmpfs((!tmpfs.is_empty()).then_some(tmpfs))
            .build(),
    ))
}

fn opt_map(v: &Value) -> Option<HashMap<String, String>> {
    v.as_map().map(|_| v.to_string_map().into_iter().collect())
}

fn container_definition(c: &Value) -> Result<ContainerDefinition, String> {
    let name = s(c, "name");
    let port_mappings = c
        .get("port_mapping")
        .as_list()
        .unwrap_or(&[])
        .iter()
        .map(|pm| {
            PortMapping::builder()
                .set_container_port(opt_i32(pm.get("container_port")))
                .set_host_port(opt_i32(pm.get("host_port")))
                .protocol(TransportProtocol::from(pm.get("protocol").as_str().unwrap_or("tcp")))
                .build()
        })
        .collect();
    let mount_points = c
        .get("mount_point")
        .as_list()
        .unwrap_or(&[])
        .iter()
        .map(|mp| {
            MountPoint::builder()
                .source_volume(s(mp, "source_volume"))
                .container_path(s(mp, "container_path"))
                .read_only(mp.get("read_only").as_bool().unwrap_or(false))
                .build()
        })
        .collect();
    let volumes_from = c
        .get("volumes_from")
        .as_list()
        .unwrap_or(&[])
        .iter()
        .map(|vf| {
            VolumeFrom::builder()
                .source_container(s(vf, "source_container"))
                .read_only(vf.get("read_only").as_bool().unwrap_or(false))
                .build()
        })
        .collect();
    let secrets = c
        .get("secret")
        .as_list()
        .unwrap_or(&[])
        .iter()
        .map(|sv| {
            Secret::builder()
                .name(s(sv, "name"))
                .value_from(s(sv, "value_from"))
                .build()
                .map_err(|e| format!("secret of container {name:?}: {e}"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let environment = c
        .get("environment")
        .as_map()
        .map(|_| c.get("environment").to_string_map().into_iter().map(|(k, v)| KeyValuePair::builder().name(k).value(v).build()).collect());
    let log_configuration = match c.get("log_configuration") {
        lc @ Value::Object(_) => Some(
            LogConfiguration::builder()
                .log_driver(LogDriver::from(lc.get("log_driver").as_str().unwrap_or_default()))
                .set_options(opt_map(lc.get("options")))
                .set_secret_options(secret_list(lc.get("secret_option"), &format!("secret_option of container {name:?}"))?)
                .build()
                .map_err(|e| format!("log_configuration of container {name:?}: {e}"))?,
        ),
        _ => None,
    };
    let depends_on = items(c.get("depends_on"))
        .iter()
        .map(|d| {
            ContainerDependency::builder()
                .container_name(s(d, "container_name"))
                .condition(ContainerCondition::from(d.get("condition").as_str().unwrap_or("START")))
                .build()
                .map_err(|e| format!("depends_on of container {name:?}: {e}"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let ulimits = items(c.get("ulimit"))
        .iter()
        .map(|u| {
            Ulimit::builder()
                .name(UlimitName::from(u.get("name").as_str().unwrap_or_default()))
                .set_soft_limit(opt_i32(u.get("soft_limit")))
                .set_hard_limit(opt_i32(u.get("hard_limit")))
                .build()
                .map_err(|e| format!("ulimit of container {name:?}: {e}"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let environment_files = items(c.get("environment_file"))
        .iter()
        .map(|f| {
            EnvironmentFile::builder()
                .value(s(f, "value"))
                .r#type(EnvironmentFileType::from(f.get("type").as_str().unwrap_or("s3")))
                .build()
                .map_err(|e| format!("environment_file of container {name:?}: {e}"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let repository_credentials = match c.get("repository_credentials").get("credentials_parameter").as_str() {
        Some(p) => Some(
            RepositoryCredentials::builder()
                .credentials_parameter(p)
                .build()
                .map_err(|e| format!("repository_credentials of container {name:?}: {e}"))?,
        ),
        None => None,
    };
    let health = health_check(c.get("health_check")).map_err(|e| format!("health_check of container {name:?}: {e}"))?;
    let linux = linux_parameters(c.get("linux_parameters")).map_err(|e| format!("linux_parameters of container {name:?}: {e}"))?;
    Ok(ContainerDefinition::builder()
        .name(&name)
        .image(s(c, "image"))
        .set_memory(opt_i32(c.get("memory")))
        .set_memory_reservation(opt_i32(c.get("memory_reservation")))
        .cpu(opt_i32(c.get("cpu")).unwrap_or(0))
        .essential(c.get("essential").as_bool().unwrap_or(true))
        .set_port_mappings(Some(port_mappings))
        .set_mount_points(Some(mount_points))
        .set_volumes_from(Some(volumes_from))
        .set_secrets(if secrets.is_empty() { None } else { Some(secrets) })
        .set_environment(environment)
        .set_entry_point(opt_list(c.get("entry_point")))
        .set_command(opt_list(c.get("command")))
        .set_links(opt_list(c.get("links")))
        .set_log_configuration(log_configuration)
        .set_working_directory(c.get("working_directory").as_str().map(str::to_string))
        .set_hostname(c.get("hostname").as_str().map(str::to_string))
        .set_docker_labels(opt_map(c.get("docker_labels")))
        .set_health_check(health)
        .set_depends_on((!depends_on.is_empty()).then_some(depends_on))
        .set_stop_timeout(opt_i32(c.get("stop_timeout")))
        .set_start_timeout(opt_i32(c.get("start_timeout")))
        .set_linux_parameters(linux)
        .set_ulimits((!ulimits.is_empty()).then_some(ulimits))
        .set_user(c.get("user").as_str().map(str::to_string))
        .set_readonly_root_filesystem(opt_bool(c.get("readonly_root_filesystem")))
        .set_privileged(opt_bool(c.get("privileged")))
        .set_repository_credentials(repository_credentials)
        .set_environment_files((!environment_files.is_empty()).then_some(environment_files))
        .build())
}

fn volume(v: &Value) -> Result<Volume, String> {
    let host = v.get("host_path").as_str().map(|p| HostVolumeProperties::builder().source_path(p).build());
    let efs = match v.get("efs_volume_configuration") {
        e @ Value::Object(_) => {
            let auth = match e.get("authorization_config") {
                a @ Value::Object(_) => Some(
                    EfsAuthorizationConfig::builder()
                        .set_access_point_id(a.get("access_point_id").as_str().map(str::to_string))
                        .set_iam(a.get("iam").as_str().map(EfsAuthorizationConfigIam::from))
                        .build(),
                ),
                _ => None,
            };
            Some(
                EfsVolumeConfiguration::builder()
                    .file_system_id(s(e, "file_system_id"))
                    .set_root_directory(e.get("root_directory").as_str().map(str::to_string))
                    .set_transit_encryption(e.get("transit_encryption").as_str().map(EfsTransitEncryption::from))
                    .set_transit_encryption_port(opt_i32(e.get("transit_encryption_port")))
                    .set_authorization_config(auth)
                    .build()
                    .map_err(|err| format!("efs_volume_configuration of volume {:?}: {err}", s(v, "name")))?,
            )
        }
        _ => None,
    };
    Ok(Volume::builder().name(s(v, "name")).set_host(host).set_efs_volume_configuration(efs).build())
}
