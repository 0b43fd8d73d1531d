//! `awsecs_rds_link`: connects the container instances to an existing RDS database. It opens the
//! database's security group to the instances' group on the database port (one ingress rule),
//! exposes the endpoint for task definitions, and refuses at plan time a database that lives in
//! another VPC than the containers (the walkthrough's trap: nothing else says so until WordPress
//! cannot reach its database).
//!
//! Here: the resource and its AWS calls (CRUD, import). `schema`: the schema and the attribute
//! validators; `vpc_check`: the database's VPC against the containers'; `rule`: the ingress rule
//! (finding, authorizing or adopting it, its description); `refresh`: AWS -> state.

mod refresh;
mod rule;
mod schema;
mod vpc_check;

use crate::framework::IdentitySchema;
use async_trait::async_trait;
use std::time::Duration;

use crate::aws::errors::{code, describe};
use crate::framework::wait::{Poll, Wait};
use crate::framework::{Failed, PlanRequest, Resource};
use crate::resources::rds_instance::{find_db, missing_db, set_db_attributes, DbInfo};
use crate::resources::Ctx;
use crate::tf::{AttrPath, Diagnostics, Schema, Value};

use refresh::refresh;
use rule::{change_description, default_description, ensure_rule, find_rule};
use vpc_check::check_vpc;

pub struct RdsLinkResource;

/// How long create waits for a database that is still being created to get an endpoint.
const CREATE_TIMEOUT: Duration = Duration::from_secs(40 * 60);

/// The arguments, decoded once.
struct Config {
    db: String,
    source_sg: String,
    db_sg: Option<String>,
    description: Option<String>,
}

impl Config {
    fn from(v: &Value) -> Config {
        Config {
            db: v.get("db_instance_identifier").as_str().unwrap_or_default().to_string(),
            source_sg: v.get("source_security_group_id").as_str().unwrap_or_default().to_string(),
            db_sg: v.get("db_security_group_id").as_str().map(str::to_string),
            description: v.get("description").as_str().map(str::to_string),
        }
    }
}

/// `db_instance_identifier/source_security_group_id`: the id, and what import takes.
fn link_id(db: &str, source_sg: &str) -> String {
    format!("{db}/{source_sg}")
}

fn parse_import_id(id: &str) -> Result<(String, String), Diagnostics> {
    match id.split_once('/') {
        Some((db, sg)) if !db.is_empty() && sg.starts_with("sg-") && !sg.contains('/') => Ok((db.to_string(), sg.to_string())),
        _ => Err(Diagnostics::of_error(
            format!("Cannot import awsecs_rds_link {id:?}: the id is not DB_INSTANCE_IDENTIFIER/SOURCE_SECURITY_GROUP_ID"),
            "Import takes the database identifier and the container instances' security group id, joined by a slash, e.g. `terraform import awsecs_rds_link.db wordpress-db/sg-0123456789abcdef0`.",
        )),
    }
}

/// Waits until the database has an endpoint (a database still being created has none yet).
async fn wait_for_db(ctx: &Ctx, planned: &Value, identifier: &str) -> Result<DbInfo, Diagnostics> {
    let timeout = ctx.timeout(planned, "create", CREATE_TIMEOUT);
    Wait::new(ctx, format!("RDS instance {identifier:?} to have an endpoint"), timeout)
        .delays(Duration::from_secs(5), Duration::from_secs(30))
        .until(|| async {
            match find_db(ctx, identifier).await? {
                None => Err(missing_db(ctx, identifier)),
                Some(db) if db.endpoint().is_some() => Ok(Poll::Done(db)),
                Some(db) => Ok(Poll::Pending(format!("status {}", db.status.as_deref().unwrap_or("unknown")))),
            }
        })
        .await
}

#[async_trait]
impl Resource<Ctx> for RdsLinkResource {
    fn type_name(&self) -> &'static str {
        "awsecs_rds_link"
    }

    fn identity(&self) -> IdentitySchema {
        IdentitySchema::strings(&[
            ("db_instance_identifier", "The database identifier."),
            ("source_security_group_id", "The container instances' security group id."),
        ])
    }

    fn schema(&self) -> Schema {
        schema::schema()
    }

    async fn modify_plan(&self, ctx: Option<&Ctx>, req: &PlanRequest<'_>, planned: &mut Value, diags: &mut Diagnostics) {
        let rebuild = req.create || req.replace;
        let db_id = planned.get("db_instance_identifier").as_str().map(str::to_string);
        let source_sg = planned.get("source_security_group_id").as_str().map(str::to_string);
        if rebuild {
            let known = db_id.as_deref().zip(source_sg.as_deref());
            planned.set("id", known.map(|(d, s)| Value::string(link_id(d, s))).unwrap_or(Value::Unknown));
            if req.config.get("description").is_null() {
                planned.set("description", known.map(|(d, s)| Value::string(default_description(d, s))).unwrap_or(Value::Unknown));
            }
        } else if req.prior.get("security_group_rule_id").is_null() {
            // The rule was removed outside Terraform: the update adds it back.
            planned.set("security_group_rule_id", Value::Unknown);
            planned.set("adopted", Value::Unknown);
        }

        let (Some(ctx), Some(db_id)) = (ctx, db_id) else { return };
        let db = match find_db(ctx, &db_id).await {
            Ok(Some(db)) => db,
            Ok(None) => return diags.extend(missing_db(ctx, &db_id)),
            Err(d) => return diags.extend(d),
        };
        diags.extend(check_vpc(ctx, planned, &db).await);
        if diags.has_errors() {
            return;
        }
        match planned.get("db_security_group_id") {
            Value::String(g) if !db.security_groups.contains(g) => diags.warning_at(
                AttrPath::root("db_security_group_id"),
                format!("Security group {g} is not attached to RDS instance {:?}", db.identifier),
                format!("The rule goes into {g}, but the database uses {}: it will not let traffic reach the database unless the group is attached to it.", db.security_groups.join(", ")),
            ),
            _ => {}
        }
        if rebuild {
            if req.config.get("db_security_group_id").is_null() {
                match db.first_security_group() {
                    Some(g) => planned.set("db_security_group_id", Value::string(g)),
                    None => diags.error_at(
                        AttrPath::root("db_security_group_id"),
                        format!("RDS instance {:?} has no VPC security group", db.identifier),
                        "There is no group to add the ingress rule to. Attach a security group to the database, or set `db_security_group_id`.",
                    ),
                }
            }
            // A database being created has no endpoint yet: those values stay "known after apply".
            if db.endpoint().is_some() {
                set_db_attributes(&db, planned);
            }
        }
    }

    async fn create(&self, ctx: &Ctx, planned: &Value) -> Result<Value, Failed> {
        let cfg = Config::from(planned);
        let db = wait_for_db(ctx, planned, &cfg.db).await?;
        // Values unknown at plan time were not checked then.
        let d = check_vpc(ctx, planned, &db).await;
        if d.has_errors() {
            return Err(d.into());
        }
        let db_sg = cfg.db_sg.clone().or_else(|| db.first_security_group().map(str::to_string)).ok_or_else(|| {
            Diagnostics::of_error(
                format!("RDS instance {:?} has no VPC security group", db.identifier),
                "There is no group to add the ingress rule to. Attach a security group to the database, or set `db_security_group_id`.",
            )
        })?;
        let port = db.port.unwrap_or_default();
        let description = cfg.description.clone().unwrap_or_else(|| default_description(&cfg.db, &cfg.source_sg));
        let (rule_id, adopted) = ensure_rule(ctx, &db, &db_sg, &cfg.source_sg, port, &description).await?;

        let mut state = planned.clone();
        state.set("id", Value::string(link_id(&cfg.db, &cfg.source_sg)));
        state.set("db_security_group_id", Value::string(db_sg));
        state.set("description", Value::string(description));
        state.set("security_group_rule_id", Value::string(rule_id));
        state.set("adopted", Value::Bool(adopted));
        set_db_attributes(&db, &mut state);
        match refresh(ctx, &state).await {
            Ok(Some(v)) => Ok(v),
            Ok(None) => Err(Failed::with_partial(
                Diagnostics::of_error(
                    format!("RDS instance {:?} disappeared while it was being linked", cfg.db),
                    "Check the database, then run `terraform apply` again.",
                ),
                state,
            )),
            Err(d) => Err(Failed::with_partial(d, state)),
        }
    }

    async fn read(&self, ctx: &Ctx, state: &Value) -> Result<Option<Value>, Diagnostics> {
        refresh(ctx, state).await
    }

    async fn update(&self, ctx: &Ctx, prior: &Value, planned: &Value) -> Result<Value, Failed> {
        let cfg = Config::from(planned);
        let mut state = planned.clone();
        let db = find_db(ctx, &cfg.db).await?.ok_or_else(|| missing_db(ctx, &cfg.db))?;
        let port = db.port.ok_or_else(|| {
            Diagnostics::of_error(
                format!("RDS instance {:?} has no endpoint", cfg.db),
                format!(
                    "RDS reports status {:?} and no port. Wait until the database is available, then run `terraform apply` again.",
                    db.status.as_deref().unwrap_or("unknown")
                ),
            )
        })?;
        let db_sg = cfg.db_sg.clone().unwrap_or_default();
        let adopted = prior.get("adopted").as_bool() == Some(true);
        if planned.get("security_group_rule_id").is_unknown() {
            let d = check_vpc(ctx, planned, &db).await;
            if d.has_errors() {
                return Err(d.into());
            }
            let description = cfg.description.clone().unwrap_or_else(|| default_description(&cfg.db, &cfg.source_sg));
            let (rule_id, adopted) = ensure_rule(ctx, &db, &db_sg, &cfg.source_sg, port, &description).await?;
            state.set("security_group_rule_id", Value::string(rule_id));
            state.set("adopted", Value::Bool(adopted));
        } else if !adopted && cfg.description.is_some() && planned.get("description") != prior.get("description") {
            let rule_id = planned.get("security_group_rule_id").as_str().unwrap_or_default();
            let description = cfg.description.clone().unwrap_or_default();
            change_description(ctx, &db_sg, rule_id, &cfg.source_sg, port, description).await?;
        }
        match refresh(ctx, &state).await {
            Ok(Some(v)) => Ok(v),
            Ok(None) => Err(Failed::with_partial(
                Diagnostics::of_error(
                    format!("RDS instance {:?} disappeared while the link was being updated", cfg.db),
                    "Check the database, then run `terraform apply` again.",
                ),
                state,
            )),
            Err(d) => Err(Failed::with_partial(d, state)),
        }
    }

    async fn delete(&self, ctx: &Ctx, prior: &Value) -> Result<(), Diagnostics> {
        let rule_id = prior.get("security_group_rule_id").as_str().unwrap_or_default();
        let db_sg = prior.get("db_security_group_id").as_str().unwrap_or_default();
        if prior.get("adopted").as_bool() == Some(true) {
            tracing::info!(rule = %rule_id, group = %db_sg, "leaving the adopted ingress rule in place");
            return Ok(());
        }
        if rule_id.is_empty() || db_sg.is_empty() {
            return Ok(());
        }
        tracing::info!(rule = %rule_id, group = %db_sg, "revoking the ingress rule");
        match ctx.aws.ec2.revoke_security_group_ingress().group_id(db_sg).security_group_rule_ids(rule_id).send().await {
            Ok(_) => Ok(()),
            Err(e)
                if matches!(
                    code(&e),
                    Some("InvalidPermission.NotFound" | "InvalidSecurityGroupRuleId.NotFound" | "InvalidGroup.NotFound")
                ) =>
            {
                tracing::info!(rule = %rule_id, "the ingress rule was already gone");
                Ok(())
            }
            Err(e) => Err(Diagnostics::of_error(format!("Cannot revoke ingress rule {rule_id} from security group {db_sg}"), describe(&e))),
        }
    }

    async fn import(&self, ctx: &Ctx, id: &str) -> Result<Value, Diagnostics> {
        let (db_id, source_sg) = parse_import_id(id)?;
        let db = find_db(ctx, &db_id).await?.ok_or_else(|| missing_db(ctx, &db_id))?;
        let port = db.port.ok_or_else(|| {
            Diagnostics::of_error(
                format!("Cannot import awsecs_rds_link {id:?}: the database has no endpoint yet"),
                "Wait until the database is available, then import again.",
            )
        })?;
        for g in &db.security_groups {
            if let Some(r) = find_rule(ctx, g, &source_sg, port, None).await? {
                let mut v = Value::object([
                    ("id", Value::string(link_id(&db_id, &source_sg))),
                    ("db_instance_identifier", Value::string(db_id.clone())),
                    ("source_security_group_id", Value::string(source_sg.clone())),
                    ("vpc_id", Value::Null),
                    ("db_security_group_id", Value::string(g.clone())),
                    ("description", Value::opt_string(r.description())),
                    ("security_group_rule_id", Value::opt_string(r.security_group_rule_id())),
                    ("adopted", Value::Bool(false)),
                    ("timeouts", Value::Null),
                ]);
                set_db_attributes(&db, &mut v);
                return Ok(v);
            }
        }
        Err(Diagnostics::of_error(
            format!("Cannot import awsecs_rds_link {id:?}: there is no such rule"),
            format!(
                "None of the database's security groups ({}) lets {source_sg} in on TCP port {port}. Nothing to import: leave the import out, and `terraform apply` creates the rule.",
                db.security_groups.join(", ")
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn planned(db: Value, sg: Value, description: Value) -> Value {
        Value::object([
            ("db_instance_identifier", db),
            ("source_security_group_id", sg),
            ("description", description),
            ("id", Value::Unknown),
            ("security_group_rule_id", Value::Unknown),
            ("adopted", Value::Unknown),
        ])
    }

    /// The parts of planning that need no AWS call (no provider context here).
    #[tokio::test]
    async fn planning_without_aws() {
        let r = RdsLinkResource;
        let config = planned("wpdb".into(), "sg-web".into(), Value::Null);
        let mut p = planned("wpdb".into(), "sg-web".into(), Value::Unknown);
        let mut diags = Diagnostics::new();
        let req = PlanRequest { prior: &Value::Null, config: &config, create: true, replace: false };
        r.modify_plan(None, &req, &mut p, &mut diags).await;
        assert!(diags.is_empty());
        assert_eq!(p.get("id"), &Value::string("wpdb/sg-web"));
        assert_eq!(p.get("description"), &Value::string("awsecs_rds_link wpdb from sg-web"), "the default names the link");

        // Unknown inputs are not guessed.
        let config = planned("wpdb".into(), Value::Unknown, Value::Null);
        let mut p = planned("wpdb".into(), Value::Unknown, Value::Unknown);
        let req = PlanRequest { prior: &Value::Null, config: &config, create: true, replace: false };
        r.modify_plan(None, &req, &mut p, &mut diags).await;
        assert!(p.get("id").is_unknown() && p.get("description").is_unknown());

        // A configured description is kept.
        let config = planned("wpdb".into(), "sg-web".into(), "mine".into());
        let mut p = planned("wpdb".into(), "sg-web".into(), "mine".into());
        let req = PlanRequest { prior: &Value::Null, config: &config, create: true, replace: false };
        r.modify_plan(None, &req, &mut p, &mut diags).await;
        assert_eq!(p.get("description"), &Value::string("mine"));

        // The rule gone (null id after refresh): an update that adds it back.
        let mut prior = planned("wpdb".into(), "sg-web".into(), "mine".into());
        prior.set("id", "wpdb/sg-web".into());
        prior.set("security_group_rule_id", Value::Null);
        prior.set("adopted", false.into());
        let mut p = prior.clone();
        let req = PlanRequest { prior: &prior, config: &config, create: false, replace: false };
        r.modify_plan(None, &req, &mut p, &mut diags).await;
        assert!(p.get("security_group_rule_id").is_unknown() && p.get("adopted").is_unknown());
        assert_eq!(p.get("id"), &Value::string("wpdb/sg-web"));

        // The rule there: the plan is the prior state.
        prior.set("security_group_rule_id", "sgr-1".into());
        let mut p = prior.clone();
        let req = PlanRequest { prior: &prior, config: &config, create: false, replace: false };
        r.modify_plan(None, &req, &mut p, &mut diags).await;
        assert_eq!(p, prior);
        assert!(diags.is_empty());
    }

    #[test]
    fn import_ids() {
        assert_eq!(parse_import_id("wpdb/sg-123").ok(), Some(("wpdb".to_string(), "sg-123".to_string())));
        for bad in ["wpdb", "/sg-1", "wpdb/", "wpdb/web", "wpdb/sg-1/x"] {
            let err = parse_import_id(bad).expect_err(bad);
            assert!(err.0[0].detail.contains("terraform import awsecs_rds_link.db"), "{:?}", err.0[0]);
        }
    }
}
