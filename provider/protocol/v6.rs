//! Protocol version 6: the `tfplugin6.Provider` service over `ProviderCore`.

use std::sync::Arc;

use tonic::{Request, Response, Status};

use super::convert::{decode, diagnostics, encode, path, schema};
use super::proto::tfplugin6 as pb;
use super::proto::tfplugin6::provider_server::Provider;
use super::{guard, guard_sync};
use crate::framework::{ApplyInput, PlanInput, ProviderConfig, ProviderCore};
use crate::tf::Diagnostics;

pub struct V6<P: ProviderConfig> {
    core: Arc<ProviderCore<P>>,
    /// Built once: Terraform asks for it at the start of every provider process.
    schema: pb::get_provider_schema::Response,
}

impl<P: ProviderConfig> V6<P> {
    pub fn new(core: Arc<ProviderCore<P>>) -> V6<P> {
        let schema = pb::get_provider_schema::Response {
            provider: Some(schema(&core.provider_schema)),
            resource_schemas: core.resources.iter().map(|(n, r)| (n.to_string(), schema(&r.schema))).collect(),
            data_source_schemas: core.data_sources.iter().map(|(n, d)| (n.to_string(), schema(&d.schema))).collect(),
            diagnostics: Vec::new(),
            provider_meta: None,
        };
        V6 { core, schema }
    }
}

type Rpc<T> = Result<Response<T>, Status>;

#[tonic::async_trait]
impl<P: ProviderConfig> Provider for V6<P> {
    async fn get_provider_schema(&self, _: Request<pb::get_provider_schema::Request>) -> Rpc<pb::get_provider_schema::Response> {
        Ok(Response::new(self.schema.clone()))
    }

    async fn validate_provider_config(
        &self,
        req: Request<pb::validate_provider_config::Request>,
    ) -> Rpc<pb::validate_provider_config::Response> {
        let req = req.into_inner();
        let diags = guard_sync("ValidateProviderConfig", || {
            let cfg = decode(req.config.as_ref(), &self.core.provider_type, "provider configuration")?;
            Ok(self.core.validate_provider_config(&cfg))
        })
        .unwrap_or_else(|d| d);
        Ok(Response::new(pb::validate_provider_config::Response { diagnostics: diagnostics(&diags) }))
    }

    async fn validate_resource_config(
        &self,
        req: Request<pb::validate_resource_config::Request>,
    ) -> Rpc<pb::validate_resource_config::Response> {
        let req = req.into_inner();
        tracing::trace!(resource = %req.type_name, "ValidateResourceConfig");
        let diags = guard_sync("ValidateResourceConfig", || {
            let r = self.core.resource(&req.type_name)?;
            let cfg = decode(req.config.as_ref(), &r.ty, "resource configuration")?;
            Ok::<_, Diagnostics>(self.core.validate_resource(r, &cfg))
        })
        .unwrap_or_else(|d| d);
        Ok(Response::new(pb::validate_resource_config::Response { diagnostics: diagnostics(&diags) }))
    }

    async fn validate_data_resource_config(
        &self,
        req: Request<pb::validate_data_resource_config::Request>,
    ) -> Rpc<pb::validate_data_resource_config::Response> {
        let req = req.into_inner();
        let diags = guard_sync("ValidateDataResourceConfig", || {
            let d = self.core.data_source(&req.type_name)?;
            let cfg = decode(req.config.as_ref(), &d.ty, "data source configuration")?;
            Ok::<_, Diagnostics>(self.core.validate_data_source(d, &cfg))
        })
        .unwrap_or_else(|d| d);
        Ok(Response::new(pb::validate_data_resource_config::Response { diagnostics: diagnostics(&diags) }))
    }

    async fn upgrade_resource_state(&self, req: Request<pb::upgrade_resource_state::Request>) -> Rpc<pb::upgrade_resource_state::Response> {
        let req = req.into_inner();
        let res = guard_sync("UpgradeResourceState", || {
            let r = self.core.resource(&req.type_name)?;
            let raw = req.raw_state.as_ref().map(|s| s.json.as_slice()).unwrap_or_default();
            if raw.is_empty() {
                return Err(Diagnostics::of_error(
                    "Cannot upgrade a pre-0.12 state",
                    "The state holds this resource in the legacy flatmap form. Remove it from state and import it again.",
                ));
            }
            let v = self.core.upgrade(r, req.version, raw)?;
            Ok((v, r))
        });
        Ok(Response::new(match res {
            Ok((v, r)) => pb::upgrade_resource_state::Response { upgraded_state: encode(&v, &r.ty), diagnostics: vec![] },
            Err(d) => pb::upgrade_resource_state::Response { upgraded_state: None, diagnostics: diagnostics(&d) },
        }))
    }

    async fn configure_provider(&self, req: Request<pb::configure_provider::Request>) -> Rpc<pb::configure_provider::Response> {
        let req = req.into_inner();
        tracing::debug!(terraform_version = %req.terraform_version, "ConfigureProvider");
        let diags = guard("ConfigureProvider", async {
            let cfg = decode(req.config.as_ref(), &self.core.provider_type, "provider configuration")?;
            Ok(self.core.configure(&cfg).await)
        })
        .await
        .unwrap_or_else(|d| d);
        Ok(Response::new(pb::configure_provider::Response { diagnostics: diagnostics(&diags) }))
    }

    async fn read_resource(&self, req: Request<pb::read_resource::Request>) -> Rpc<pb::read_resource::Response> {
        let req = req.into_inner();
        tracing::debug!(resource = %req.type_name, "ReadResource");
        let res = guard("ReadResource", async {
            let r = self.core.resource(&req.type_name)?;
            let state = decode(req.current_state.as_ref(), &r.ty, "current state")?;
            let fresh = self.core.read(r, &state).await?;
            Ok::<_, Diagnostics>(encode(&fresh.unwrap_or(crate::tf::Value::Null), &r.ty))
        })
        .await;
        Ok(Response::new(match res {
            Ok(new_state) => pb::read_resource::Response { new_state, diagnostics: vec![], private: req.private },
            // On error Terraform keeps what it had; hand the current state back unchanged.
            Err(d) => pb::read_resource::Response { new_state: req.current_state, diagnostics: diagnostics(&d), private: req.private },
        }))
    }

    async fn plan_resource_change(&self, req: Request<pb::plan_resource_change::Request>) -> Rpc<pb::plan_resource_change::Response> {
        let req = req.into_inner();
        tracing::debug!(resource = %req.type_name, "PlanResourceChange");
        let res = guard("PlanResourceChange", async {
            let r = self.core.resource(&req.type_name)?;
            let prior = decode(req.prior_state.as_ref(), &r.ty, "prior state")?;
            let proposed = decode(req.proposed_new_state.as_ref(), &r.ty, "proposed new state")?;
            let config = decode(req.config.as_ref(), &r.ty, "configuration")?;
            let p = self.core.plan(r, PlanInput { prior: &prior, proposed: &proposed, config: &config }).await?;
            Ok::<_, Diagnostics>((encode(&p.planned, &r.ty), p.requires_replace.iter().map(path).collect(), p.diags))
        })
        .await;
        Ok(Response::new(match res {
            Ok((planned_state, requires_replace, diags)) => pb::plan_resource_change::Response {
                planned_state,
                requires_replace,
                planned_private: req.prior_private,
                diagnostics: diagnostics(&diags),
            },
            Err(d) => pb::plan_resource_change::Response {
                planned_state: None,
                requires_replace: vec![],
                planned_private: vec![],
                diagnostics: diagnostics(&d),
            },
        }))
    }

    async fn apply_resource_change(&self, req: Request<pb::apply_resource_change::Request>) -> Rpc<pb::apply_resource_change::Response> {
        let req = req.into_inner();
        tracing::debug!(resource = %req.type_name, "ApplyResourceChange");
        let res = guard("ApplyResourceChange", async {
            let r = self.core.resource(&req.type_name)?;
            let prior = decode(req.prior_state.as_ref(), &r.ty, "prior state")?;
            let planned = decode(req.planned_state.as_ref(), &r.ty, "planned state")?;
            let config = decode(req.config.as_ref(), &r.ty, "configuration")?;
            let (state, diags) = self.core.apply(r, ApplyInput { prior: &prior, planned: &planned, config: &config }).await;
            Ok::<_, Diagnostics>((encode(&state, &r.ty), diags))
        })
        .await;
        Ok(Response::new(match res {
            Ok((new_state, diags)) => {
                pb::apply_resource_change::Response { new_state, private: req.planned_private, diagnostics: diagnostics(&diags) }
            }
            Err(d) => pb::apply_resource_change::Response { new_state: req.prior_state, private: vec![], diagnostics: diagnostics(&d) },
        }))
    }

    async fn import_resource_state(&self, req: Request<pb::import_resource_state::Request>) -> Rpc<pb::import_resource_state::Response> {
        let req = req.into_inner();
        tracing::debug!(resource = %req.type_name, id = %req.id, "ImportResourceState");
        let res = guard("ImportResourceState", async {
            let r = self.core.resource(&req.type_name)?;
            let v = self.core.import(r, &req.id).await?;
            Ok::<_, Diagnostics>(encode(&v, &r.ty))
        })
        .await;
        Ok(Response::new(match res {
            Ok(state) => pb::import_resource_state::Response {
                imported_resources: vec![pb::import_resource_state::ImportedResource { type_name: req.type_name, state, private: vec![] }],
                diagnostics: vec![],
            },
            Err(d) => pb::import_resource_state::Response { imported_resources: vec![], diagnostics: diagnostics(&d) },
        }))
    }

    async fn read_data_source(&self, req: Request<pb::read_data_source::Request>) -> Rpc<pb::read_data_source::Response> {
        let req = req.into_inner();
        tracing::debug!(data_source = %req.type_name, "ReadDataSource");
        let res = guard("ReadDataSource", async {
            let d = self.core.data_source(&req.type_name)?;
            let cfg = decode(req.config.as_ref(), &d.ty, "data source configuration")?;
            let v = self.core.read_data_source(d, &cfg).await?;
            Ok::<_, Diagnostics>(encode(&v, &d.ty))
        })
        .await;
        Ok(Response::new(match res {
            Ok(state) => pb::read_data_source::Response { state, diagnostics: vec![] },
            Err(d) => pb::read_data_source::Response { state: None, diagnostics: diagnostics(&d) },
        }))
    }

    async fn stop_provider(&self, _: Request<pb::stop_provider::Request>) -> Rpc<pb::stop_provider::Response> {
        self.core.stop();
        Ok(Response::new(pb::stop_provider::Response { error: String::new() }))
    }
}
