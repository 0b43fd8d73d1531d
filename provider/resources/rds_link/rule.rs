//! The ingress rule of `awsecs_rds_link`: which of a security group's rules is the link's, finding
//! it, authorizing it (or adopting an identical one), and its description.

use aws_sdk_ec2::types::{IpPermission, SecurityGroupRule, SecurityGroupRuleRequest, SecurityGroupRuleUpdate, UserIdGroupPair};

use crate::aws::errors::{code, describe};
use crate::resources::rds_instance::DbInfo;
use crate::resources::Ctx;
use crate::tf::Diagnostics;

/// The description used when none is configured: it names the link, so the rule is recognisable
/// in the EC2 console.
pub(super) fn default_description(db: &str, source_sg: &str) -> String {
    format!("awsecs_rds_link {db} from {source_sg}")
}

/// Whether `r` is the rule a link stands for: ingress, TCP on exactly the database port, from the
/// source group.
fn is_link_rule(r: &SecurityGroupRule, source_sg: &str, port: i64) -> bool {
    r.is_egress() != Some(true)
        && matches!(r.ip_protocol(), Some("tcp") | Some("6"))
        && r.from_port().map(i64::from) == Some(port)
        && r.to_port().map(i64::from) == Some(port)
        && r.referenced_group_info().and_then(|g| g.group_id()) == Some(source_sg)
}

/// The link's rule among a group's rules; the one with `known_id` when several match.
fn pick_rule<'a>(rules: &'a [SecurityGroupRule], source_sg: &str, port: i64, known_id: Option<&str>) -> Option<&'a SecurityGroupRule> {
    let matching: Vec<&SecurityGroupRule> = rules.iter().filter(|r| is_link_rule(r, source_sg, port)).collect();
    known_id.and_then(|id| matching.iter().find(|r| r.security_group_rule_id() == Some(id)).copied()).or_else(|| matching.first().copied())
}

/// The link's rule in `db_sg`, if it is there.
pub(super) async fn find_rule(
    ctx: &Ctx,
    db_sg: &str,
    source_sg: &str,
    port: i64,
    known_id: Option<&str>,
) -> Result<Option<SecurityGroupRule>, Diagnostics> {
    let rules = ctx
        .aws
        .find_security_group_rules(db_sg)
        .await
        .map_err(|e| crate::resources::aws_failure(format!("Cannot read the rules of security group {db_sg}"), &e))?;
    Ok(pick_rule(&rules, source_sg, port, known_id).cloned())
}

/// Makes sure the rule exists: adopts an identical one already there, otherwise authorizes it.
/// Returns (rule id, adopted).
pub(super) async fn ensure_rule(
    ctx: &Ctx,
    db: &DbInfo,
    db_sg: &str,
    source_sg: &str,
    port: i64,
    description: &str,
) -> Result<(String, bool), Diagnostics> {
    let adopt = |r: SecurityGroupRule| {
        let id = r.security_group_rule_id().unwrap_or_default().to_string();
        tracing::info!(rule = %id, group = %db_sg, source = %source_sg, port, "the ingress rule already exists: adopting it (destroy will leave it in place)");
        (id, true)
    };
    if let Some(r) = find_rule(ctx, db_sg, source_sg, port, None).await? {
        return Ok(adopt(r));
    }
    tracing::info!(group = %db_sg, source = %source_sg, port, db = %db.identifier, "authorizing ingress to the database");
    let permission = IpPermission::builder()
        .ip_protocol("tcp")
        .from_port(port as i32)
        .to_port(port as i32)
        .user_id_group_pairs(UserIdGroupPair::builder().group_id(source_sg).description(description).build())
        .build();
    let fail = |detail: String| {
        Diagnostics::of_error(
            format!("Cannot open security group {db_sg} of RDS instance {:?} to {source_sg} on port {port}", db.identifier),
            detail,
        )
    };
    match ctx.aws.ec2.authorize_security_group_ingress().group_id(db_sg).ip_permissions(permission).send().await {
        Ok(out) => {
            if let Some(id) =
                out.security_group_rules().iter().find(|r| is_link_rule(r, source_sg, port)).and_then(|r| r.security_group_rule_id())
            {
                return Ok((id.to_string(), false));
            }
            // Older answers carry no rule list: look the new rule up.
            match find_rule(ctx, db_sg, source_sg, port, None).await? {
                Some(r) => Ok((r.security_group_rule_id().unwrap_or_default().to_string(), false)),
                None => Err(fail("AuthorizeSecurityGroupIngress succeeded, but DescribeSecurityGroupRules does not show the rule. Run `terraform apply` again.".into())),
            }
        }
        // The look-up above found no such rule, so a duplicate now is the rule this very call made:
        // its reply was lost and the SDK's retry met the rule. It belongs to the link (destroy
        // revokes it), not adopted.
        Err(e) if code(&e) == Some("InvalidPermission.Duplicate") => match find_rule(ctx, db_sg, source_sg, port, None).await? {
            Some(r) => {
                let id = r.security_group_rule_id().unwrap_or_default().to_string();
                tracing::info!(rule = %id, group = %db_sg, "the rule was made by this call (its reply was lost): the link owns it");
                Ok((id, false))
            }
            None => Err(fail(format!(
                "{}\n\nAWS says the rule exists, but DescribeSecurityGroupRules does not show it. Run `terraform apply` again.",
                describe(&e)
            ))),
        },
        Err(e) => {
            let hint = match code(&e) {
                Some("InvalidGroup.NotFound") => "\n\nOne of the security groups does not exist: check `source_security_group_id` and `db_security_group_id`.",
                Some("RulesPerSecurityGroupLimitExceeded") => "\n\nThe database's security group is full: remove unused rules, or set `db_security_group_id` to another group attached to the database.",
                _ => "",
            };
            Err(fail(format!("{}{hint}", describe(&e))))
        }
    }
}

/// Changes the description of the link's rule `rule_id` in `db_sg` (ModifySecurityGroupRules
/// restates the whole rule).
pub(super) async fn change_description(
    ctx: &Ctx,
    db_sg: &str,
    rule_id: &str,
    source_sg: &str,
    port: i64,
    description: String,
) -> Result<(), Diagnostics> {
    tracing::info!(rule = %rule_id, group = %db_sg, "changing the ingress rule's description");
    ctx.aws
        .ec2
        .modify_security_group_rules()
        .group_id(db_sg)
        .security_group_rules(
            SecurityGroupRuleUpdate::builder()
                .security_group_rule_id(rule_id)
                .security_group_rule(
                    SecurityGroupRuleRequest::builder()
                        .ip_protocol("tcp")
                        .from_port(port as i32)
                        .to_port(port as i32)
                        .referenced_group_id(source_sg)
                        .description(description)
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .map_err(|e| {
            Diagnostics::of_error(format!("Cannot change the description of rule {rule_id} in security group {db_sg}"), describe(&e))
        })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_ec2::types::ReferencedSecurityGroup;

    fn rule(id: &str, egress: bool, proto: &str, port: i32, source: &str) -> SecurityGroupRule {
        SecurityGroupRule::builder()
            .security_group_rule_id(id)
            .is_egress(egress)
            .ip_protocol(proto)
            .from_port(port)
            .to_port(port)
            .referenced_group_info(ReferencedSecurityGroup::builder().group_id(source).build())
            .build()
    }

    #[test]
    fn finds_only_the_exact_rule() {
        let rules = vec![
            rule("sgr-egress", true, "tcp", 3306, "sg-web"),
            rule("sgr-udp", false, "udp", 3306, "sg-web"),
            rule("sgr-port", false, "tcp", 5432, "sg-web"),
            rule("sgr-other", false, "tcp", 3306, "sg-admin"),
        ];
        assert!(pick_rule(&rules, "sg-web", 3306, None).is_none());
        let mut rules = rules;
        rules.push(rule("sgr-a", false, "tcp", 3306, "sg-web"));
        rules.push(rule("sgr-b", false, "6", 3306, "sg-web"));
        assert_eq!(pick_rule(&rules, "sg-web", 3306, None).and_then(|r| r.security_group_rule_id()), Some("sgr-a"));
        assert_eq!(pick_rule(&rules, "sg-web", 3306, Some("sgr-b")).and_then(|r| r.security_group_rule_id()), Some("sgr-b"));
        // a recorded id that is gone falls back to an identical rule
        assert_eq!(pick_rule(&rules, "sg-web", 3306, Some("sgr-gone")).and_then(|r| r.security_group_rule_id()), Some("sgr-a"));
    }
}
