//! The plan-time VPC check of `awsecs_rds_link`: the database must live in the containers' VPC
//! (`vpc_id`, or else the source security group's VPC), or WordPress could never reach it.

use crate::resources::rds_instance::DbInfo;
use crate::resources::Ctx;
use crate::tf::{AttrPath, Diagnostics, Value};

/// Where the containers' VPC was learnt, for the error message and its attribute path.
#[derive(Clone, Copy, Debug, PartialEq)]
enum VpcFrom {
    VpcId,
    SourceGroup,
}

/// The plan error for a database in another VPC than the containers, or None when they agree (or
/// the database's VPC is not known).
fn vpc_mismatch(db: &DbInfo, containers_vpc: &str, from: VpcFrom, source_sg: &str) -> Option<(AttrPath, String, String)> {
    let db_vpc = db.vpc_id.as_deref()?;
    if db_vpc == containers_vpc {
        return None;
    }
    let (path, why) = match from {
        VpcFrom::VpcId => (AttrPath::root("vpc_id"), format!("`vpc_id` says the container instances run in VPC {containers_vpc}")),
        VpcFrom::SourceGroup => (
            AttrPath::root("source_security_group_id"),
            format!("the container instances' security group {source_sg} belongs to VPC {containers_vpc}"),
        ),
    };
    let group = db.subnet_group.as_deref().map(|g| format!(" (DB subnet group {g:?})")).unwrap_or_default();
    Some((
        path,
        format!("RDS instance {:?} is in VPC {db_vpc}, not in the containers' VPC {containers_vpc}", db.identifier),
        format!(
            "The database {:?} lives in VPC {db_vpc}{group}, but {why}. A security group rule cannot carry traffic between two VPCs, so WordPress would not reach its database.\n\nFix: launch the container instances in a subnet of {db_vpc} (the database's VPC) with a security group of that VPC, or point `db_instance_identifier` at a database in {containers_vpc}. Nothing was changed.",
            db.identifier
        ),
    ))
}

/// The VPC the containers run in, when the configuration tells (known values only): `vpc_id`, or
/// else the source security group's VPC.
async fn containers_vpc(ctx: &Ctx, v: &Value) -> Result<Option<(String, VpcFrom)>, Diagnostics> {
    match v.get("vpc_id") {
        Value::String(s) => return Ok(Some((s.clone(), VpcFrom::VpcId))),
        Value::Null => {}
        _ => return Ok(None),
    }
    let Some(sg) = v.get("source_security_group_id").as_str() else { return Ok(None) };
    match ctx.aws.find_security_group(sg).await {
        Ok(Some(g)) => Ok(g.vpc_id().map(|vpc| (vpc.to_string(), VpcFrom::SourceGroup))),
        Ok(None) => {
            let mut d = Diagnostics::new();
            d.error_at(
                AttrPath::root("source_security_group_id"),
                format!("Security group {sg} does not exist"),
                format!(
                    "No security group with that id in region {}. Use the id (sg-…) of the container instances' security group.",
                    ctx.aws.region
                ),
            );
            Err(d)
        }
        Err(e) => Err(crate::resources::aws_failure(format!("Cannot read security group {sg}"), &e)),
    }
}

/// The VPC check: errors when the database and the containers are in different VPCs.
pub(super) async fn check_vpc(ctx: &Ctx, v: &Value, db: &DbInfo) -> Diagnostics {
    let source_sg = v.get("source_security_group_id").as_str().unwrap_or_default();
    match containers_vpc(ctx, v).await {
        Ok(Some((vpc, from))) => {
            let mut d = Diagnostics::new();
            if let Some((path, summary, detail)) = vpc_mismatch(db, &vpc, from, source_sg) {
                d.error_at(path, summary, detail);
            }
            d
        }
        Ok(None) => Diagnostics::new(),
        Err(d) => d,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db(vpc: &str) -> DbInfo {
        DbInfo { identifier: "wpdb".into(), vpc_id: Some(vpc.into()), subnet_group: Some("wp-subnets".into()), ..Default::default() }
    }

    #[test]
    fn same_vpc_passes() {
        assert!(vpc_mismatch(&db("vpc-1"), "vpc-1", VpcFrom::VpcId, "sg-web").is_none());
        // a database whose VPC is not known is not guessed about
        let unknown = DbInfo { vpc_id: None, ..db("x") };
        assert!(vpc_mismatch(&unknown, "vpc-2", VpcFrom::VpcId, "sg-web").is_none());
    }

    #[test]
    fn other_vpc_names_both_vpcs_the_database_and_the_fix() {
        let (path, summary, detail) = vpc_mismatch(&db("vpc-db"), "vpc-ecs", VpcFrom::VpcId, "sg-web").expect("mismatch");
        assert_eq!(path.to_string(), "vpc_id");
        for text in ["vpc-db", "vpc-ecs", "\"wpdb\""] {
            assert!(summary.contains(text), "{text} missing in {summary}");
        }
        assert!(detail.contains("Fix:") && detail.contains("wp-subnets"), "{detail}");
        let (path, _, detail) = vpc_mismatch(&db("vpc-db"), "vpc-ecs", VpcFrom::SourceGroup, "sg-web").expect("mismatch");
        assert_eq!(path.to_string(), "source_security_group_id");
        assert!(detail.contains("sg-web"), "{detail}");
    }
}
