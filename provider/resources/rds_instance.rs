//! Data source `awsecs_rds_instance`: the read-only facts of an existing RDS instance (endpoint,
//! engine, master user, VPC), for configurations that only need the endpoint. The same attributes
//! and the same read back `awsecs_rds_link` (see `rds_link/`).

use async_trait::async_trait;
use aws_sdk_rds::types::DbInstance;

use crate::framework::DataSource;
use crate::resources::Ctx;
use crate::tf::{AttrPath, Attribute, Block, Diagnostics, Schema, Type, Value};

pub struct RdsInstanceDataSource;

/// What this provider uses of an RDS instance, decoded once from DescribeDBInstances.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DbInfo {
    pub identifier: String,
    pub status: Option<String>,
    pub address: Option<String>,
    pub port: Option<i64>,
    pub engine: Option<String>,
    pub engine_version: Option<String>,
    pub db_name: Option<String>,
    pub master_username: Option<String>,
    pub master_user_secret_arn: Option<String>,
    pub vpc_id: Option<String>,
    pub subnet_group: Option<String>,
    /// The instance's VPC security groups, in RDS's order.
    pub security_groups: Vec<String>,
}

impl DbInfo {
    pub fn from_aws(d: &DbInstance) -> DbInfo {
        let endpoint = d.endpoint();
        DbInfo {
            identifier: d.db_instance_identifier().unwrap_or_default().to_string(),
            status: d.db_instance_status().map(str::to_string),
            address: endpoint.and_then(|e| e.address()).map(str::to_string),
            port: endpoint.and_then(|e| e.port()).or(d.db_instance_port().filter(|p| *p > 0)).map(i64::from),
            engine: d.engine().map(str::to_string),
            engine_version: d.engine_version().map(str::to_string),
            db_name: d.db_name().map(str::to_string),
            master_username: d.master_username().map(str::to_string),
            master_user_secret_arn: d.master_user_secret().and_then(|s| s.secret_arn()).map(str::to_string),
            vpc_id: d.db_subnet_group().and_then(|g| g.vpc_id()).map(str::to_string),
            subnet_group: d.db_subnet_group().and_then(|g| g.db_subnet_group_name()).map(str::to_string),
            security_groups: d.vpc_security_groups().iter().filter_map(|g| g.vpc_security_group_id()).map(str::to_string).collect(),
        }
    }

    /// "address:port", as WordPress's `WORDPRESS_DB_HOST` takes it; None until RDS has an endpoint.
    pub fn endpoint(&self) -> Option<String> {
        Some(format!("{}:{}", self.address.as_ref()?, self.port?))
    }

    /// The security group a link opens when `db_security_group_id` is not set.
    pub fn first_security_group(&self) -> Option<&str> {
        self.security_groups.first().map(String::as_str)
    }
}

/// The read-only attributes the data source and the link share (not `db_security_group_id`, which
/// the link lets you choose).
pub fn db_attributes() -> Vec<Attribute> {
    let c = |name: &'static str, ty: Type, text: &str| Attribute::computed(name, ty).describe(text.to_string());
    vec![
        c("address", Type::String, "The database's DNS name."),
        c("port", Type::Number, "The port the database listens on."),
        c("endpoint", Type::String, "`address:port`, ready for `WORDPRESS_DB_HOST`."),
        c("engine", Type::String, "The database engine, e.g. `mysql`."),
        c("engine_version", Type::String, "The engine version."),
        c("db_name", Type::String, "The database created with the instance, if any."),
        c("master_username", Type::String, "The master user's name."),
        c(
            "master_user_secret_arn",
            Type::String,
            "The Secrets Manager secret holding the master password, when RDS manages it (null otherwise). Pass it to a container through a `secret` block, never as plain environment.",
        ),
        c("db_vpc_id", Type::String, "The VPC the database lives in (its DB subnet group's VPC)."),
    ]
}

/// Writes the shared read-only attributes of `db` into `v`.
pub fn set_db_attributes(db: &DbInfo, v: &mut Value) {
    v.set("address", Value::opt_string(db.address.clone()));
    v.set("port", Value::opt_int(db.port));
    v.set("endpoint", Value::opt_string(db.endpoint()));
    v.set("engine", Value::opt_string(db.engine.clone()));
    v.set("engine_version", Value::opt_string(db.engine_version.clone()));
    v.set("db_name", Value::opt_string(db.db_name.clone()));
    v.set("master_username", Value::opt_string(db.master_username.clone()));
    v.set("master_user_secret_arn", Value::opt_string(db.master_user_secret_arn.clone()));
    v.set("db_vpc_id", Value::opt_string(db.vpc_id.clone()));
}

/// Validator for `db_instance_identifier`: RDS's rules (1-63 letters, digits and hyphens, starting
/// with a letter, no double or trailing hyphen).
pub fn validate_identifier(v: &Value) -> Result<(), String> {
    let s = v.as_str().unwrap_or("");
    let fix = "RDS instance identifiers have 1 to 63 letters, digits or hyphens, start with a letter, and have no two consecutive hyphens and no trailing hyphen.";
    if s.is_empty() || s.len() > 63 {
        return Err(format!("{s:?} has {} characters. {fix}", s.chars().count()));
    }
    if !s.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return Err(format!("{s:?} does not start with a letter. {fix}"));
    }
    if let Some(bad) = s.chars().find(|c| !(c.is_ascii_alphanumeric() || *c == '-')) {
        return Err(format!("{s:?} contains {bad:?}. {fix}"));
    }
    if s.contains("--") || s.ends_with('-') {
        return Err(format!("{s:?} has a double or trailing hyphen. {fix}"));
    }
    Ok(())
}

/// The database `identifier` names, or None when it does not exist (batched with concurrent reads).
pub async fn find_db(ctx: &Ctx, identifier: &str) -> Result<Option<DbInfo>, Diagnostics> {
    ctx.aws
        .find_db_instance(identifier)
        .await
        .map(|d| d.as_ref().map(DbInfo::from_aws))
        .map_err(|e| crate::resources::aws_failure(format!("Cannot read RDS instance {identifier:?}"), &e))
}

/// The error for a database that does not exist, at `db_instance_identifier`.
pub fn missing_db(ctx: &Ctx, identifier: &str) -> Diagnostics {
    let mut d = Diagnostics::new();
    d.error_at(
        AttrPath::root("db_instance_identifier"),
        format!("RDS instance {identifier:?} does not exist"),
        format!(
            "No RDS instance with that identifier in region {}. Check the identifier (the name shown in the RDS console, not the endpoint) and the provider's region; the database must exist before this configuration is applied.",
            ctx.aws.region
        ),
    );
    d
}

#[async_trait]
impl DataSource<Ctx> for RdsInstanceDataSource {
    fn type_name(&self) -> &'static str {
        "awsecs_rds_instance"
    }

    fn schema(&self) -> Schema {
        let mut b = Block::new("An existing RDS instance, read only: its endpoint, engine, master user and VPC. Use `awsecs_rds_link` instead to also open the database to the container instances.")
            .attr(Attribute::computed("id", Type::String).describe("The instance identifier."))
            .attr(
                Attribute::required("db_instance_identifier", Type::String)
                    .validate(validate_identifier)
                    .describe("The RDS instance identifier."),
            );
        for a in db_attributes() {
            b = b.attr(a);
        }
        b = b.attr(Attribute::computed("db_security_group_id", Type::String).describe("The database's first VPC security group."));
        Schema::new(0, b)
    }

    async fn read(&self, ctx: &Ctx, config: &Value) -> Result<Value, Diagnostics> {
        let id = config.get("db_instance_identifier").as_str().unwrap_or_default().to_string();
        let db = find_db(ctx, &id).await?.ok_or_else(|| missing_db(ctx, &id))?;
        let mut v = config.clone();
        v.set("id", Value::string(db.identifier.clone()));
        set_db_attributes(&db, &mut v);
        v.set("db_security_group_id", Value::opt_string(db.first_security_group()));
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_rds::types::{DbSubnetGroup, Endpoint, MasterUserSecret, VpcSecurityGroupMembership};

    #[test]
    fn identifiers_follow_rds_rules() {
        for ok in ["wpdb", "wp-db-1", "A1"] {
            assert!(validate_identifier(&ok.into()).is_ok(), "{ok}");
        }
        for bad in ["", "1db", "wp_db", "wp--db", "wpdb-", &"a".repeat(64)] {
            let err = validate_identifier(&bad.into()).expect_err(bad);
            assert!(err.contains("start with a letter"), "the fix is spelled out: {err}");
        }
    }

    #[test]
    fn reads_what_rds_describes() {
        let d = DbInstance::builder()
            .db_instance_identifier("wpdb")
            .db_instance_status("available")
            .endpoint(Endpoint::builder().address("wpdb.x.rds.amazonaws.com").port(3306).build())
            .engine("mysql")
            .engine_version("8.0.35")
            .master_username("admin")
            .master_user_secret(MasterUserSecret::builder().secret_arn("arn:aws:secretsmanager:x").build())
            .db_subnet_group(DbSubnetGroup::builder().vpc_id("vpc-1").db_subnet_group_name("g").build())
            .vpc_security_groups(VpcSecurityGroupMembership::builder().vpc_security_group_id("sg-db").status("active").build())
            .vpc_security_groups(VpcSecurityGroupMembership::builder().vpc_security_group_id("sg-2").build())
            .build();
        let db = DbInfo::from_aws(&d);
        assert_eq!(db.endpoint().as_deref(), Some("wpdb.x.rds.amazonaws.com:3306"));
        assert_eq!(db.first_security_group(), Some("sg-db"));
        assert_eq!(db.vpc_id.as_deref(), Some("vpc-1"));
        let mut v = Value::object([]);
        set_db_attributes(&db, &mut v);
        assert_eq!(v.get("port"), &Value::int(3306));
        assert_eq!(v.get("master_user_secret_arn"), &Value::string("arn:aws:secretsmanager:x"));
        assert!(v.get("db_name").is_null());
        // one attribute per declared attribute: the schema and the values agree
        for a in db_attributes() {
            assert!(v.as_map().unwrap().contains_key(a.name), "{} is not set", a.name);
        }
    }

    #[test]
    fn no_endpoint_while_creating() {
        let d = DbInstance::builder().db_instance_identifier("wpdb").db_instance_status("creating").build();
        let db = DbInfo::from_aws(&d);
        assert_eq!(db.endpoint(), None);
        assert_eq!(db.first_security_group(), None);
    }
}
