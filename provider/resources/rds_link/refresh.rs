//! Reading `awsecs_rds_link` back: the database's current attributes and whether the link's rule is
//! still there (null `security_group_rule_id` when it is not, so that the next plan adds it back).

use super::rule::find_rule;
use super::{link_id, Config};
use crate::resources::rds_instance::{find_db, set_db_attributes};
use crate::resources::Ctx;
use crate::tf::{Diagnostics, Value};

/// The state for `state` as AWS has it now, or None when the database is gone.
pub(super) async fn refresh(ctx: &Ctx, state: &Value) -> Result<Option<Value>, Diagnostics> {
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
