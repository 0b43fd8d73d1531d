//! `awsecs_rds_link`: connects the container instances to an existing RDS database. It opens the
//! database's security group to the instances' group on the database port (one ingress rule),
//! exposes the endpoint for task definitions, and refuses at plan time a database that lives in
//! another VPC than the containers (the walkthrough's trap: nothing else says so until WordPress
//! cannot reach its database).

use async_trait::async_trait;
use std::time::Duration;

use aws_sdk_ec2::types::{IpPermission, SecurityGroupRule, SecurityGroupRuleRequest, SecurityGroupRuleUpdate, UserIdGroupPair};

use super::rds_instance::{db_attributes, find_db, missing_db, set_db_attributes, validate_identifier, DbInfo};
use crate::aws::errors::{code, describe};
use crate::framework::wait::{Poll, Wait};
use crate::framework::{Failed, PlanRequest, Resource};
use crate::resources::Ctx;
use crate::framework::timeouts::timeouts_block;
use crate::tf::{AttrPath, Attribute, Block, Diagnostics, Schema, Type, Value};

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

/// The description used when none is configured: it names the link, so the rule is recognisable
/// in the EC2 console.
fn default_description(db: &str, source_sg: &str) -> String {
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
        Err(e) => Err(Diagnostics::of_error(format!("Cannot read security group {sg}"), e.to_string())),
    }
}

/// The VPC check: errors when the database and the containers are in different VPCs.
async fn check_vpc(ctx: &Ctx, v: &Value, db: &DbInfo) -> Diagnostics {
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

/// The link's rule in `db_sg`, if it is there.
async fn find_rule(
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
        .map_err(|e| Diagnostics::of_error(format!("Cannot read the rules of security group {db_sg}"), e.to_string()))?;
    Ok(pick_rule(&rules, source_sg, port, known_id).cloned())
}

/// Makes sure the rule exists: adopts an identical one already there, otherwise authorizes it.
/// Returns (rule id, adopted).
async fn ensure_rule(
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
        Err(e) if code(&e) == Some("InvalidPermission.Duplicate") => match find_rule(ctx, db_sg, source_sg, port, None).await? {
            Some(r) => Ok(adopt(r)),
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

/// The state for `state` as AWS has it now, or None when the database is gone.
async fn refresh(ctx: &Ctx, state: &Value) -> Result<Option<Value>, Diagnostics> {
    let cfg = Config::from(state);
    let Some(db) = find_db(ctx, &cfg.db).await? else {
        tracing::info!(db = %cfg.db, "the RDS instance no longer exists: the link is gone");
        return Ok(None);
    };
    let db_sg = cfg.db_sg.clone().or_else(|| db.first_security_group().map(str::to_string));
    let mut v = state.clone();
    set_db_attributes(&db, &mut v);
    v.set("id", Value::string(link_id(&cfg.db, &cfg.source_sg)));
    v.set("db_security_group_id", Value::opt_string(db_sg.clone()));
    let known_id = state.get("security_group_rule_id").as_str();
    let rule = match (&db_sg, db.port) {
        (Some(g), Some(port)) => find_rule(ctx, g, &cfg.source_sg, port, known_id).await?,
        // No port to match against (no endpoint right now): keep what the state says.
        _ => return Ok(Some(v)),
    };
    match &rule {
        Some(r) => {
            v.set("security_group_rule_id", Value::opt_string(r.security_group_rule_id()));
            // An adopted rule is someone else's: its description is not ours to report or change.
            // AWS leaves out an empty description; that keeps the recorded one.
            if v.get("adopted").as_bool() != Some(true) {
                if let Some(d) = r.description().filter(|d| !d.is_empty()) {
                    v.set("description", Value::string(d));
                }
            }
        }
        None => {
            tracing::info!(db = %cfg.db, source = %cfg.source_sg, "the ingress rule is gone: the next plan adds it back");
            v.set("security_group_rule_id", Value::Null);
        }
    }
    Ok(Some(v))
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

#[async_trait]
impl Resource<Ctx> for RdsLinkResource {
    fn type_name(&self) -> &'static str {
        "awsecs_rds_link"
    }

    fn schema(&self) -> Schema {
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
            tracing::info!(rule = %rule_id, group = %db_sg, "changing the ingress rule's description");
            ctx.aws
                .ec2
                .modify_security_group_rules()
                .group_id(&db_sg)
                .security_group_rules(
                    SecurityGroupRuleUpdate::builder()
                        .security_group_rule_id(rule_id)
                        .security_group_rule(
                            SecurityGroupRuleRequest::builder()
                                .ip_protocol("tcp")
                                .from_port(port as i32)
                                .to_port(port as i32)
                                .referenced_group_id(&cfg.source_sg)
                                .description(description)
                                .build(),
                        )
                        .build(),
                )
                .send()
                .await
                .map_err(|e| {
                    Diagnostics::of_error(
                        format!("Cannot change the description of rule {rule_id} in security group {db_sg}"),
                        describe(&e),
                    )
                })?;
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

    fn db(vpc: &str) -> DbInfo {
        DbInfo { identifier: "wpdb".into(), vpc_id: Some(vpc.into()), subnet_group: Some("wp-subnets".into()), ..Default::default() }
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
