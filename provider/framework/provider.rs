//! The provider core: the registry of resources and data sources, the provider configuration, and
//! one method per plugin RPC, in protocol-neutral terms (values, not msgpack).

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use tokio::sync::watch;

use super::plan::{plan, reconcile, without_unknowns};
use super::resource::{Ctx, DataSource, Failed, PlanRequest, Resource};
use super::validate::run_validators;
use crate::aws::Aws;
use crate::tf::{json, AttrPath, Diagnostics, Schema, Type, Value};

pub struct Registered<T: ?Sized> {
    pub imp: Box<T>,
    pub schema: Schema,
    pub ty: Type,
}

/// What a plan produced.
pub struct PlanResult {
    pub planned: Value,
    pub requires_replace: Vec<AttrPath>,
    pub diags: Diagnostics,
}

pub struct ProviderCore {
    pub provider_schema: Schema,
    pub provider_type: Type,
    pub resources: BTreeMap<&'static str, Registered<dyn Resource>>,
    pub data_sources: BTreeMap<&'static str, Registered<dyn DataSource>>,
    configured: RwLock<Option<Ctx>>,
    stop_tx: watch::Sender<bool>,
}

impl ProviderCore {
    pub fn new(resources: Vec<Box<dyn Resource>>, data_sources: Vec<Box<dyn DataSource>>) -> ProviderCore {
        let provider_schema = crate::config::schema();
        let provider_type = provider_schema.block.implied_type();
        let (stop_tx, _) = watch::channel(false);
        ProviderCore {
            provider_type,
            provider_schema,
            resources: resources
                .into_iter()
                .map(|imp| {
                    let schema = imp.schema();
                    let ty = schema.block.implied_type();
                    (imp.type_name(), Registered { imp, schema, ty })
                })
                .collect(),
            data_sources: data_sources
                .into_iter()
                .map(|imp| {
                    let schema = imp.schema();
                    let ty = schema.block.implied_type();
                    (imp.type_name(), Registered { imp, schema, ty })
                })
                .collect(),
            configured: RwLock::new(None),
            stop_tx,
        }
    }

    pub fn resource(&self, name: &str) -> Result<&Registered<dyn Resource>, Diagnostics> {
        self.resources.get(name).ok_or_else(|| {
            Diagnostics::of_error(
                format!("Unknown resource type {name:?}"),
                "This provider build does not have that resource type. Check the spelling, or upgrade the provider.",
            )
        })
    }

    pub fn data_source(&self, name: &str) -> Result<&Registered<dyn DataSource>, Diagnostics> {
        self.data_sources.get(name).ok_or_else(|| {
            Diagnostics::of_error(
                format!("Unknown data source {name:?}"),
                "This provider build does not have that data source. Check the spelling, or upgrade the provider.",
            )
        })
    }

    fn ctx(&self) -> Result<Ctx, Diagnostics> {
        self.configured.read().ok().and_then(|c| c.clone()).ok_or_else(|| {
            Diagnostics::of_error(
                "Provider not configured",
                "Terraform called the provider before configuring it. This is a bug in the caller; please report it.",
            )
        })
    }

    pub fn validate_provider_config(&self, config: &Value) -> Diagnostics {
        let mut diags = Diagnostics::new();
        run_validators(&self.provider_schema.block, config, &AttrPath::default(), &mut diags);
        crate::config::validate(config, &mut diags);
        diags
    }

    pub async fn configure(&self, config: &Value) -> Diagnostics {
        let mut diags = self.validate_provider_config(config);
        if diags.has_errors() {
            return diags;
        }
        let (settings, default_tags) = crate::config::parse(config);
        match Aws::connect(&settings).await {
            Ok(aws) => {
                tracing::debug!(region = %aws.region, "provider configured");
                let ctx = Ctx { aws: Arc::new(aws), default_tags, stop: self.stop_tx.subscribe() };
                if let Ok(mut slot) = self.configured.write() {
                    *slot = Some(ctx);
                }
            }
            Err(e) => diags.error("Cannot set up the AWS clients", e),
        }
        diags
    }

    pub fn validate_resource(&self, type_name: &str, config: &Value) -> Diagnostics {
        let r = match self.resource(type_name) {
            Ok(r) => r,
            Err(d) => return d,
        };
        check_config(r, config)
    }

    pub fn validate_data_source(&self, type_name: &str, config: &Value) -> Diagnostics {
        let d = match self.data_source(type_name) {
            Ok(d) => d,
            Err(e) => return e,
        };
        let mut diags = Diagnostics::new();
        run_validators(&d.schema.block, config, &AttrPath::default(), &mut diags);
        d.imp.validate(config, &mut diags);
        diags
    }

    /// Stored JSON state → a value of the current schema (stale attributes dropped, new ones null).
    pub fn upgrade(&self, type_name: &str, _version: i64, raw_json: &[u8]) -> Result<Value, Diagnostics> {
        let r = self.resource(type_name)?;
        json::decode(raw_json, &r.ty).map_err(|e| {
            Diagnostics::of_error(
                format!("Cannot read the stored state of a {type_name}"),
                format!("The state file holds a value this provider cannot decode ({e}). Remove the resource from state (`terraform state rm`) and import it again."),
            )
        })
    }

    pub async fn read(&self, type_name: &str, state: &Value) -> Result<Option<Value>, Diagnostics> {
        let r = self.resource(type_name)?;
        let ctx = self.ctx()?;
        let fresh = r.imp.read(&ctx, state).await?;
        Ok(fresh.map(|mut v| {
            // Settings that live only in Terraform (not in AWS) carry over from the prior state.
            if r.schema.block.blocks.iter().any(|b| b.name == "timeouts") {
                v.set("timeouts", state.get("timeouts").clone());
            }
            without_unknowns(&v)
        }))
    }

    pub async fn plan(&self, type_name: &str, prior: &Value, proposed: &Value, config: &Value) -> Result<PlanResult, Diagnostics> {
        let r = self.resource(type_name)?;
        let ctx = self.ctx().ok();
        let default_tags = ctx.as_ref().map(|c| c.default_tags.clone()).unwrap_or_default();
        let p = plan(&r.schema.block, prior, proposed, config, &default_tags);
        let mut planned = p.value;
        let mut diags = Diagnostics::new();
        if !config.is_null() {
            // `terraform validate` saw unknowns where the plan may now have values (variables,
            // other resources' known attributes): check again, so mistakes surface at plan time.
            diags.extend(check_config(r, config));
            if diags.has_errors() {
                return Ok(PlanResult { planned: proposed.clone(), requires_replace: Vec::new(), diags });
            }
        }
        if !planned.is_null() {
            let req = PlanRequest { prior, config, create: p.create, replace: !p.requires_replace.is_empty() };
            r.imp.modify_plan(ctx.as_ref(), &req, &mut planned, &mut diags).await;
        }
        Ok(PlanResult { planned, requires_replace: p.requires_replace, diags })
    }

    /// Returns the new state (null after a delete) and diagnostics. On failure after AWS created
    /// something, the state holds what exists.
    pub async fn apply(&self, type_name: &str, prior: &Value, planned: &Value) -> (Value, Diagnostics) {
        let r = match self.resource(type_name) {
            Ok(r) => r,
            Err(d) => return (prior.clone(), d),
        };
        let ctx = match self.ctx() {
            Ok(c) => c,
            Err(d) => return (prior.clone(), d),
        };
        if planned.is_null() {
            return match r.imp.delete(&ctx, prior).await {
                Ok(()) => (Value::Null, Diagnostics::new()),
                Err(d) => (prior.clone(), d),
            };
        }
        // Values unknown during planning are known now: the same checks, before any AWS call.
        let invalid = check_config(r, planned);
        if invalid.has_errors() {
            return (prior.clone(), invalid);
        }
        let result = if prior.is_null() { r.imp.create(&ctx, planned).await } else { r.imp.update(&ctx, prior, planned).await };
        let keep_timeouts = |mut v: Value| {
            if r.schema.block.blocks.iter().any(|b| b.name == "timeouts") {
                v.set("timeouts", planned.get("timeouts").clone());
            }
            v
        };
        match result {
            Ok(actual) => (reconcile(planned, &keep_timeouts(actual)), Diagnostics::new()),
            Err(Failed { diags, partial }) => {
                let state = match partial {
                    Some(p) => without_unknowns(&keep_timeouts(p)),
                    // Nothing new exists: an update leaves the prior object as it was.
                    None => prior.clone(),
                };
                (state, diags)
            }
        }
    }

    pub async fn import(&self, type_name: &str, id: &str) -> Result<Value, Diagnostics> {
        let r = self.resource(type_name)?;
        let ctx = self.ctx()?;
        r.imp.import(&ctx, id).await.map(|v| without_unknowns(&v))
    }

    pub async fn read_data_source(&self, type_name: &str, config: &Value) -> Result<Value, Diagnostics> {
        let d = self.data_source(type_name)?;
        let ctx = self.ctx()?;
        d.imp.read(&ctx, config).await.map(|v| without_unknowns(&v))
    }

    /// StopProvider: every wait in progress ends with an "interrupted" error.
    pub fn stop(&self) {
        tracing::info!("Terraform asked the provider to stop: cancelling waits in progress");
        self.stop_tx.send_replace(true);
    }
}

/// The attribute validators and the resource's own plan-time checks, on whatever is known.
fn check_config(r: &Registered<dyn Resource>, config: &Value) -> Diagnostics {
    let mut diags = Diagnostics::new();
    run_validators(&r.schema.block, config, &AttrPath::default(), &mut diags);
    r.imp.validate(config, &mut diags);
    diags
}
