//! Configuration value -> AWS SDK types: what `create` sends to RegisterTaskDefinition.

use std::collections::HashMap;

use aws_sdk_ecs::types::{
    Compatibility, ContainerDefinition, HostVolumeProperties, KeyValuePair, LogConfiguration, LogDriver, MountPoint, NetworkMode,
    PortMapping, Secret, TransportProtocol, Volume, VolumeFrom,
};

use super::s;
use crate::tf::Value;

/// The `container` blocks, in order; Err names the container whose block AWS's builders refused.
pub(super) fn container_definitions(planned: &Value) -> Result<Vec<ContainerDefinition>, String> {
    planned.get("container").as_list().unwrap_or(&[]).iter().map(container_definition).collect()
}

/// The `volume` blocks; None when there are none.
pub(super) fn volumes(planned: &Value) -> Option<Vec<Volume>> {
    let list: Vec<Volume> = planned.get("volume").as_list().unwrap_or(&[]).iter().map(volume).collect();
    if list.is_empty() {
        None
    } else {
        Some(list)
    }
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
                .build()
                .map_err(|e| format!("log_configuration of container {name:?}: {e}"))?,
        ),
        _ => None,
    };
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
        .build())
}

fn volume(v: &Value) -> Volume {
    let host = v.get("host_path").as_str().map(|p| HostVolumeProperties::builder().source_path(p).build());
    Volume::builder().name(s(v, "name")).set_host(host).build()
}
