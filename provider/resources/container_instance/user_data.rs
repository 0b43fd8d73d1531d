//! The user data: the lines that join the cluster (`ECS_CLUSTER` in the agent's configuration
//! file), then the user's own lines; and reading both back from an instance, for import.

/// The agent's configuration file that `ECS_CLUSTER` goes to.
const ECS_CONFIG: &str = "/etc/ecs/ecs.config";

/// The user data: join the cluster, then whatever the user adds.
pub(crate) fn user_data(cluster: &str, extra: Option<&str>) -> String {
    let mut s = format!("#!/bin/bash\necho ECS_CLUSTER={cluster} >> {ECS_CONFIG}\n");
    if let Some(e) = extra.filter(|e| !e.is_empty()) {
        // Always one newline more, which import strips again: the text round-trips exactly.
        s.push_str(e);
        s.push('\n');
    }
    s
}

/// (cluster, user_data_extra) from the user data this resource wrote; for import.
pub(crate) fn parse_user_data(text: &str) -> (Option<String>, Option<String>) {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
