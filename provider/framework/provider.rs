//! The provider core: the registry of resources and data sources, the provider configuration, and
//! one method per plugin RPC, in protocol-neutral terms (values, not msgpack). The protocol layer
//! looks a resource type up once ([`ProviderCore::resource`]) and hands the entry to the method.

use std::collections::BTreeMap;
use std::sync::RwLock;
use std::time::Duration;

use tokio::sync::watch;

use super::identity::IdentitySchema;
use super::plan::{plan, reconcile, without_unknowns};
use super::resource::{Context, DataSource, Failed, MoveSource, PlanRequest, ProviderConfig, Resource, Stop};
use super::timeouts;
use super::validate::run_validators;
use crate::tf::{json, AttrPath, Diagnostics, Schema, Type, Value};

pub struct Registered<T: ?Sized> {
    pub imp: Box<T>,
    pub schema: Schema,
    pub ty: Type,
    /// Resources only.
    pub identity: Option<IdentitySchema>,
}

pub type ResourceEntry<C> = Registered<dyn Resource<C>>;
pub type DataSourceEntry<C> = Registered<dyn DataSource<C>>;

/// PlanResourceChange, decoded.
pub struct PlanInput<'a> {
    pub prior: &'a Value,
    pub proposed: &'a Value,
    pub config: &'a Value,
}

/// ApplyResourceChange, decoded.
pub struct ApplyInput<'a> {
    pub prior: &'a Value,
    pub planned: &'a Value,
    /// The configuration as Terraform sends it with the apply (null for a delete).
    pub config: &'a Value,
}

/// What a plan produced.
pub struct PlanResult {
    pub planned: Value,
    pub requires_replace: Vec<AttrPath>,
    pub diags: Diagnostics,
}

pub struct ProviderCore<P: ProviderConfig> {
    config: P,
    pub provider_schema: Schema,
    pub provider_type: Type,
    pub resources: BTreeMap<&'static str, ResourceEntry<P::Ctx>>,
    pub data_sources: BTreeMap<&'static str, DataSourceEntry<P::Ctx>>,
    configured: RwLock<Option<P::Ctx>>,
    stop_tx: watch::Sender<bool>,
}

fn register<T: ?Sized>(imp: Box<T>, schema: Schema, identity: Option<IdentitySchema>) -> Registered<T> {
    let ty = schema.block.implied_type();
    Registered { imp, schema, ty, identity }
}

/// What ImportResourceState names: an import ID, or (Terraform 1.12+) an identity.
pub enum ImportTarget<'a> {
    Id(&'a str),
    Identity(&'a Value),
}

impl<P: ProviderConfig> ProviderCore<P> {
    pub fn new(config: P, resources: Vec<Box<dyn Resource<P::Ctx>>>, data_sources: Vec<Box<dyn DataSource<P::Ctx>>>) -> ProviderCore<P> {
        let provider_schema = config.schema();
        let provider_type = provider_schema.block.implied_type();
        let (stop_tx, _) = watch::channel(false);
        ProviderCore {
            config,
            provider_type,
            provider_schema,
            resources: resources
                .into_iter()
                .map(|imp| {
                    let (schema, identity) = (imp.schema(), imp.identity());
                    (imp.type_name(), register(imp, schema, Some(identity)))
                })
                .collect(),
            data_sources: data_sources
                .into_iter()
                .map(|imp| {
                    let schema = imp.schema();
                    (imp.type_name(), register(imp, schema, None))
                })
                .collect(),
            configured: RwLock::new(None),
            stop_tx,
        }
    }

    pub fn resource(&self, name: &str) -> Result<&ResourceEntry<P::Ctx>, Diagnostics> {
        self.resources.get(name).ok_or_else(|| {
            Diagnostics::of_error(
                format!("Unknown resource type {name:?}"),
                "This provider build does not have that resource type. Check the spelling, or upgrade the provider.",
            )
        })
    }

    pub fn data_source(&self, name: &str) -> Result<&DataSourceEntry<P::Ctx>, Diagnostics> {
        self.data_sources.get(name).ok_or_else(|| {
            Diagnostics::of_error(
                format!("Unknown data source {name:?}"),
                "This provider build does not have that data source. Check the spelling, or upgrade the provider.",
            )
        })
    }

    fn ctx(&self) -> Result<P::Ctx, Diagnostics> {
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
        self.config.validate(config, &mut diags);
        diags
    }

    pub async fn configure(&self, config: &Value) -> Diagnostics {
        let diags = self.validate_provider_config(config);
        if diags.has_errors() {
            return diags;
        }
        match self.config.configure(config, Stop(self.stop_tx.subscribe())).await {
            Ok(ctx) => {
                if let Ok(mut slot) = self.configured.write() {
                    *slot = Some(ctx);
                }
                diags
            }
            Err(d) => d,
        }
    }

    pub fn validate_resource(&self, r: &ResourceEntry<P::Ctx>, config: &Value) -> Diagnostics {
        check_config(r, config)
    }

    pub fn validate_data_source(&self, d: &DataSourceEntry<P::Ctx>, config: &Value) -> Diagnostics {
        let mut diags = Diagnostics::new();
        run_validators(&d.schema.block, config, &AttrPath::default(), &mut diags);
        d.imp.validate(config, &mut diags);
        diags
    }

    /// Stored JSON state → a value of the current schema (stale attributes dropped, new ones null).
    pub fn upgrade(&self, r: &ResourceEntry<P::Ctx>, version: i64, raw_json: &[u8]) -> Result<Value, Diagnostics> {
        let upgraded;
        let raw_json = if version < r.schema.version {
            let stored: serde_json::Value = serde_json::from_slice(raw_json).map_err(|e| {
                Diagnostics::of_error(
                    format!("Cannot read the stored state of a {}", r.imp.type_name()),
                    format!("The state file holds JSON this provider cannot parse ({e}). Remove the resource from state (`terraform state rm`) and import it again."),
                )
            })?;
            upgraded = serde_json::to_vec(&r.imp.upgrade_state(version, stored)?).unwrap_or_default();
            &upgraded[..]
        } else {
            raw_json
        };
        json::decode(raw_json, &r.ty).map_err(|e| {
            Diagnostics::of_error(
                format!("Cannot read the stored state of a {}", r.imp.type_name()),
                format!("The state file holds a value this provider cannot decode ({e}). Remove the resource from state (`terraform state rm`) and import it again."),
            )
        })
    }

    pub async fn read(&self, r: &ResourceEntry<P::Ctx>, state: &Value) -> Result<Option<Value>, Diagnostics> {
        let ctx = self.ctx()?;
        let fresh = r.imp.read(&ctx, state).await?;
        Ok(fresh.map(|mut v| {
            timeouts::carry_over(&r.schema.block, state, &mut v);
            without_unknowns(&v)
        }))
    }

    pub async fn plan(&self, r: &ResourceEntry<P::Ctx>, req: PlanInput<'_>) -> Result<PlanResult, Diagnostics> {
        let ctx = self.ctx().ok();
        let no_tags = BTreeMap::new();
        let default_tags = match &ctx {
            Some(c) => c.default_tags(),
            None => Some(&no_tags),
        };
        // Reads at plan time need to know where to read.
        let read_ctx = ctx.clone().filter(|c| c.can_read_at_plan());
        if req.proposed.is_null() {
            // A destroy (asked only because the provider declares plan_destroy).
            let mut diags = Diagnostics::new();
            if !req.prior.is_null() {
                r.imp.plan_destroy(read_ctx.as_ref(), req.prior, &mut diags).await;
            }
            return Ok(PlanResult { planned: Value::Null, requires_replace: Vec::new(), diags });
        }
        let p = plan(&r.schema.block, req.prior, req.proposed, req.config, default_tags);
        let ctx = read_ctx;
        let mut planned = p.value;
        let mut diags = Diagnostics::new();
        if !req.config.is_null() {
            // `terraform validate` saw unknowns where the plan may now have values (variables,
            // other resources' known attributes): check again, so mistakes surface at plan time.
            diags.extend(check_config(r, req.config));
            if diags.has_errors() {
                return Ok(PlanResult { planned: req.proposed.clone(), requires_replace: Vec::new(), diags });
            }
        }
        if !planned.is_null() {
            let preq = PlanRequest { prior: req.prior, config: req.config, create: p.create, replace: !p.requires_replace.is_empty() };
            r.imp.modify_plan(ctx.as_ref(), &preq, &mut planned, &mut diags).await;
        }
        Ok(PlanResult { planned, requires_replace: p.requires_replace, diags })
    }

    /// Returns the new state (null after a delete) and diagnostics. On failure after AWS created
    /// something, the state holds what exists.
    pub async fn apply(&self, r: &ResourceEntry<P::Ctx>, req: ApplyInput<'_>) -> (Value, Diagnostics) {
        let (prior, planned) = (req.prior, req.planned);
        let ctx = match self.ctx() {
            Ok(c) => c,
            Err(d) => return (prior.clone(), d),
        };
        if planned.is_null() {
            return match until_stopped(&ctx, STOP_GRACE, r.imp.delete(&ctx, prior)).await {
                Some(Ok(())) => (Value::Null, Diagnostics::new()),
                Some(Err(d)) => (prior.clone(), d),
                None => (prior.clone(), abandoned(r.imp.type_name(), "destroy")),
            };
        }
        // Values unknown during planning are known now: the same checks on the configuration,
        // before any AWS call.
        let invalid = check_config(r, req.config);
        if invalid.has_errors() {
            return (prior.clone(), invalid);
        }
        let work = async {
            if prior.is_null() {
                r.imp.create(&ctx, planned).await
            } else {
                r.imp.update(&ctx, prior, planned).await
            }
        };
        let Some(result) = until_stopped(&ctx, STOP_GRACE, work).await else {
            return (prior.clone(), abandoned(r.imp.type_name(), if prior.is_null() { "create" } else { "update" }));
        };
        let keep_timeouts = |mut v: Value| {
            timeouts::carry_over(&r.schema.block, planned, &mut v);
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

    pub async fn import(&self, r: &ResourceEntry<P::Ctx>, target: ImportTarget<'_>) -> Result<Value, Diagnostics> {
        let id = match target {
            ImportTarget::Id(id) => id.to_string(),
            ImportTarget::Identity(identity) => self.identity_schema(r)?.import_id(r.imp.type_name(), identity)?,
        };
        let ctx = self.ctx()?;
        r.imp.import(&ctx, &id).await.map(|v| without_unknowns(&v))
    }

    fn identity_schema<'a>(&self, r: &'a ResourceEntry<P::Ctx>) -> Result<&'a IdentitySchema, Diagnostics> {
        r.identity.as_ref().ok_or_else(|| {
            Diagnostics::of_error(format!("{} has no identity", r.imp.type_name()), "This is a bug in the provider; please report it.")
        })
    }

    /// The identity of the object `state` describes (None while it is not wholly known).
    pub fn identity_of(&self, r: &ResourceEntry<P::Ctx>, state: &Value) -> Option<Value> {
        r.identity.as_ref().and_then(|i| i.of_state(state))
    }

    /// UpgradeResourceIdentity: a stored identity in the current identity schema.
    pub fn upgrade_identity(&self, r: &ResourceEntry<P::Ctx>, version: i64, raw_json: &[u8]) -> Result<Value, Diagnostics> {
        self.identity_schema(r)?.upgrade(r.imp.type_name(), version, raw_json)
    }

    /// MoveResourceState: the resource's own translation, then the schema's defaults where it left
    /// an attribute null (so the first plan after the move does not "change" them from null).
    pub fn move_state(&self, r: &ResourceEntry<P::Ctx>, from: &MoveSource<'_>) -> Result<Value, Diagnostics> {
        let mut v = r.imp.move_state(from)?;
        for a in &r.schema.block.attributes {
            if let Some(d) = &a.default {
                if v.get(a.name).is_null() {
                    v.set(a.name, d.clone());
                }
            }
        }
        Ok(without_unknowns(&v))
    }

    pub async fn read_data_source(&self, d: &DataSourceEntry<P::Ctx>, config: &Value) -> Result<Value, Diagnostics> {
        let ctx = self.ctx()?;
        d.imp.read(&ctx, config).await.map(|v| without_unknowns(&v))
    }

    /// StopProvider: every wait in progress ends with an "interrupted" error.
    pub fn stop(&self) {
        tracing::info!("Terraform asked the provider to stop: cancelling waits in progress");
        self.stop_tx.send_replace(true);
    }
}

/// After Terraform's StopProvider, how long a create, update or destroy may still take to wind down
/// (waits end at once and return what exists; this bounds a call that hangs outside a wait).
pub const STOP_GRACE: Duration = Duration::from_secs(10);

/// `work`, or None when Terraform asked the provider to stop and `work` did not end within `grace`
/// after that.
async fn until_stopped<C: Context, T>(ctx: &C, grace: Duration, work: impl std::future::Future<Output = T>) -> Option<T> {
    tokio::select! {
        done = work => Some(done),
        _ = async {
            ctx.stop().wait().await;
            tokio::time::sleep(grace).await;
        } => None,
    }
}

fn abandoned(type_name: &str, operation: &str) -> Diagnostics {
    Diagnostics::of_error(
        format!("Interrupted: the {operation} of a {type_name} was abandoned"),
        format!("Terraform asked the provider to stop, and an AWS call of this {operation} had not answered {}s later. Run `terraform plan` to see what exists; objects created before the interruption are found by the next refresh or import.", STOP_GRACE.as_secs()),
    )
}

/// The attribute validators and the resource's own plan-time checks, on whatever is known.
fn check_config<C: Context>(r: &ResourceEntry<C>, config: &Value) -> Diagnostics {
    let mut diags = Diagnostics::new();
    run_validators(&r.schema.block, config, &AttrPath::default(), &mut diags);
    r.imp.validate(config, &mut diags);
    diags
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[derive(Clone)]
    struct TestCtx(Stop, BTreeMap<String, String>);
    impl Context for TestCtx {
        fn default_tags(&self) -> Option<&BTreeMap<String, String>> {
            Some(&self.1)
        }
        fn stop(&self) -> &Stop {
            &self.0
        }
    }

    #[tokio::test]
    async fn hung_work_is_abandoned_soon_after_a_stop_and_not_before() {
        let (stop, tx) = Stop::channel();
        let ctx = TestCtx(stop, BTreeMap::new());
        let grace = Duration::from_millis(50);
        let hung = until_stopped(&ctx, grace, std::future::pending::<()>());
        let not_yet = tokio::time::timeout(Duration::from_millis(200), hung).await;
        assert!(not_yet.is_err(), "without a stop, work may take as long as it takes");

        let started = std::time::Instant::now();
        let hung = tokio::spawn({
            let ctx = ctx.clone();
            async move { until_stopped(&ctx, grace, std::future::pending::<()>()).await }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        tx.send(true).ok();
        let out = tokio::time::timeout(Duration::from_secs(5), hung).await.expect("ends after the grace").expect("task");
        assert!(out.is_none(), "abandoned");
        assert!(started.elapsed() >= grace, "not before the grace: waits get to return what exists");

        let quick = until_stopped(&ctx, grace, async { 7 }).await;
        assert_eq!(quick, Some(7), "work that ends is never abandoned");
        assert!(abandoned("awsecs_cluster", "create").0[0].summary.contains("Interrupted"));
    }
}
