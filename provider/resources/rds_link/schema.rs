//! The schema of `awsecs_rds_link` and its attribute validators (security group and VPC ids, rule
//! descriptions as EC2 accepts them).

use crate::framework::timeouts::timeouts_block;
use crate::resources::rds_instance::{db_attributes, validate_identifier};
use crate::tf::{Attribute, Block, Schema, Type, Value};

pub(super) fn schema() -> Schema {
    let mut b = Block::new("Connects the container instances to an existing RDS database: one ingress rule on the database's security group (TCP on the database port, from the instances' security group), the endpoint for task definitions, and a plan-time check that the database is in the containers' VPC.\n\nImport with `DB_INSTANCE_IDENTIFIER/SOURCE_SECURITY_GROUP_ID`.")
        .attr(Attribute::computed("id", Type::String).describe("`db_instance_identifier/source_security_group_id`."))
        .attr(
            Attribute::required("db_instance_identifier", Type::String)
                .force_new()
                .validate(validate_identifier)
                .describe("The existing RDS instance. Changing it links another database (replacement)."),
        )
        .attr(
            Attribute::required("source_security_group_id", Type::String)
                .force_new()
                .validate(sg_id)
                .describe("The container instances' security group: it gets access to the database port."),
        )
        .attr(
            Attribute::optional("vpc_id", Type::String)
                .validate(vpc_id)
                .describe("The VPC the containers run in (e.g. `awsecs_container_instance.node.vpc_id`). The plan fails when the database is in another VPC. Left out: the source security group's VPC is checked."),
        )
        .attr(
            Attribute::optional_computed("db_security_group_id", Type::String)
                .force_new()
                .validate(sg_id)
                .describe("The security group that gets the rule. Left out: the database's first VPC security group."),
        )
        .attr(
            Attribute::optional_computed("description", Type::String)
                .validate(rule_description)
                .describe("The rule's description. Left out: `awsecs_rds_link DB from SG`. Changes in place."),
        )
        .attr(
            Attribute::computed("security_group_rule_id", Type::String)
                .describe("The ingress rule (sgr-…). Null after the rule was removed outside Terraform: the next plan adds it back."),
        )
        .attr(Attribute::computed("adopted", Type::Bool).describe(
            "True when the identical rule already existed and the link adopted it: destroy then leaves it in place, and the link does not change its description.",
        ));
    for a in db_attributes() {
        b = b.attr(a);
    }
    Schema::new(0, b.block(timeouts_block(&["create"])))
}

fn sg_id(v: &Value) -> Result<(), String> {
    match v.as_str() {
        Some(s) if s.starts_with("sg-") && s.len() > 3 => Ok(()),
        Some(s) => Err(format!("{s:?} is not a security group id: use the id, such as \"sg-0123456789abcdef0\", not the group name.")),
        None => Err("Must be a security group id such as \"sg-0123456789abcdef0\".".into()),
    }
}

fn vpc_id(v: &Value) -> Result<(), String> {
    match v.as_str() {
        Some(s) if s.starts_with("vpc-") && s.len() > 4 => Ok(()),
        Some(s) => Err(format!("{s:?} is not a VPC id: use the id, such as \"vpc-0123456789abcdef0\".")),
        None => Err("Must be a VPC id such as \"vpc-0123456789abcdef0\".".into()),
    }
}

/// EC2's rule for security group rule descriptions.
fn rule_description(v: &Value) -> Result<(), String> {
    let s = v.as_str().unwrap_or("");
    if s.chars().count() > 255 {
        return Err(format!("Must be at most 255 characters; this one has {}.", s.chars().count()));
    }
    if let Some(bad) = s.chars().find(|c| !(c.is_ascii_alphanumeric() || " ._-:/()#,@[]+=&;{}!$*".contains(*c))) {
        return Err(format!(
            "{s:?} contains {bad:?}. Security group rule descriptions allow letters, digits, spaces and ._-:/()#,@[]+=&;{{}}!$* only."
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::rds_link::rule::default_description;

    #[test]
    fn argument_validation() {
        assert!(sg_id(&"sg-0abc".into()).is_ok());
        assert!(sg_id(&"web".into()).unwrap_err().contains("not the group name"));
        assert!(vpc_id(&"vpc-1".into()).is_ok());
        assert!(vpc_id(&"subnet-1".into()).is_err());
        assert!(rule_description(&default_description("wp-db", "sg-0abc").as_str().into()).is_ok(), "the default must be valid");
        assert!(rule_description(&"WordPress → DB".into()).unwrap_err().contains('→'));
        assert!(rule_description(&"x".repeat(256).as_str().into()).is_err());
    }
}
