//! Protocol version 6: the `tfplugin6.Provider` service over `ProviderCore`.

use std::sync::Arc;

use tonic::{Request, Response, Status};

use super::convert::{decode, decode_identity, diagnostics, encode, identity_data, identity_schema, path, schema};
use super::proto::tfplugin6 as pb;
use super::proto::tfplugin6::provider_server::Provider;
use super::{guard, guard_sync, not_supported};
use crate::framework::{ApplyInput, ImportTarget, MoveSource, PlanInput, ProviderConfig, ProviderCore};
use crate::tf::Diagnostics;

pub struct V6<P: ProviderConfig> {
    core: Arc<ProviderCore<P>>,
    /// Built once: Terraform asks for it at the start of every provider process.
    schema: pb::get_provider_schema::Response,
}

/// What this provider declares beyond the base protocol (Terraform 1.3+ reads it).
pub fn capabilities() -> pb::ServerCapabilities {
    pb::ServerCapabilities {
        // `terraform plan -destroy` asks the provider, which can then refuse what AWS would refuse.
        plan_destroy: true,
        // The schema depends on the binary only: Terraform may cache it.
        get_provider_schema_optional: true,
        move_resource_state: true,
        generate_resource_config: false,
    }
}

impl<P: ProviderConfig> V6<P> {
    pub fn new(core: Arc<ProviderCore<P>>) -> V6<P> {
        let schema = pb::get_provider_schema::Response {
            provider: Some(schema(&core.provider_schema)),
            resource_schemas: core.resources.iter().map(|(n, r)| (n.to_string(), schema(&r.schema))).collect(),
            data_source_schemas: core.data_sources.iter().map(|(n, d)| (n.to_string(), schema(&d.schema))).collect(),
            server_capabilities: Some(capabilities()),
            ..Default::default()
        };
        V6 { core, schema }
    }

    pub fn core(&self) -> &ProviderCore<P> {
        &self.core
    }
}

type Rpc<T> = Result<Response<T>, Status>;
type Events<T> = std::pin::Pin<Box<dyn tokio_stream::Stream<Item = Result<T, Status>> + Send + 'static>>;

fn one_event<T: Send + 'static>(event: T) -> Events<T> {
    Box::pin(tokio_stream::once(Ok(event)))
}

#[tonic::async_trait]
impl<P: ProviderConfig> Provider for V6<P> {
    async fn get_metadata(&self, _: Request<pb::get_metadata::Request>) -> Rpc<pb::get_metadata::Response> {
        use pb::get_metadata::{DataSourceMetadata, ResourceMetadata};
        Ok(Response::new(pb::get_metadata::Response {
            server_capabilities: Some(capabilities()),
            resources: self.core.resources.keys().map(|n| ResourceMetadata { type_name: n.to_string() }).collect(),
            data_sources: self.core.data_sources.keys().map(|n| DataSourceMetadata { type_name: n.to_string() }).collect(),
            ..Default::default()
        }))
    }

    async fn get_resource_identity_schemas(
        &self,
        _: Request<pb::get_resource_identity_schemas::Request>,
    ) -> Rpc<pb::get_resource_identity_schemas::Response> {
        Ok(Response::new(pb::get_resource_identity_schemas::Response {
            identity_schemas: self
                .core
                .resources
                .iter()
                .filter_map(|(n, r)| r.identity.as_ref().map(|i| (n.to_string(), identity_schema(i))))
                .collect(),
            diagnostics: vec![],
        }))
    }

    async fn upgrade_resource_identity(
        &self,
        req: Request<pb::upgrade_resource_identity::Request>,
    ) -> Rpc<pb::upgrade_resource_identity::Response> {
        let req = req.into_inner();
        let res = guard_sync("UpgradeResourceIdentity", || {
            let r = self.core.resource(&req.type_name)?;
            let raw = req.raw_identity.as_ref().map(|s| s.json.as_slice()).unwrap_or_default();
            let v = self.core.upgrade_identity(r, req.version, raw)?;
            Ok::<_, Diagnostics>(identity_data(Some(v), r.identity.as_ref()))
        });
        Ok(Response::new(match res {
            Ok(upgraded_identity) => pb::upgrade_resource_identity::Response { upgraded_identity, diagnostics: vec![] },
            Err(d) => pb::upgrade_resource_identity::Response { upgraded_identity: None, diagnostics: diagnostics(&d) },
        }))
    }

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
            let fresh = self.core.read(r, &state).await?.unwrap_or(crate::tf::Value::Null);
            let identity = identity_data(self.core.identity_of(r, &fresh), r.identity.as_ref());
            Ok::<_, Diagnostics>((encode(&fresh, &r.ty), identity))
        })
        .await;
        Ok(Response::new(match res {
            Ok((new_state, new_identity)) => {
                pb::read_resource::Response { new_state, private: req.private, new_identity, ..Default::default() }
            }
            // On error Terraform keeps what it had; hand the current state back unchanged.
            Err(d) => pb::read_resource::Response {
                new_state: req.current_state,
                diagnostics: diagnostics(&d),
                private: req.private,
                new_identity: req.current_identity,
                ..Default::default()
            },
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
            // The identity of what the plan leads to: known once every part of it is (an update
            // keeps the object's identity; a create or replace has one only after the apply).
            let identity = identity_data(self.core.identity_of(r, &p.planned), r.identity.as_ref());
            Ok::<_, Diagnostics>((encode(&p.planned, &r.ty), p.requires_replace.iter().map(path).collect(), p.diags, identity))
        })
        .await;
        Ok(Response::new(match res {
            Ok((planned_state, requires_replace, diags, planned_identity)) => pb::plan_resource_change::Response {
                planned_state,
                requires_replace,
                planned_private: req.prior_private,
                diagnostics: diagnostics(&diags),
                planned_identity,
                ..Default::default()
            },
            Err(d) => pb::plan_resource_change::Response { diagnostics: diagnostics(&d), ..Default::default() },
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
            let identity = identity_data(self.core.identity_of(r, &state), r.identity.as_ref());
            Ok::<_, Diagnostics>((encode(&state, &r.ty), diags, identity))
        })
        .await;
        Ok(Response::new(match res {
            Ok((new_state, diags, new_identity)) => pb::apply_resource_change::Response {
                new_state,
                private: req.planned_private,
                diagnostics: diagnostics(&diags),
                new_identity,
                ..Default::default()
            },
            Err(d) => {
                pb::apply_resource_change::Response { new_state: req.prior_state, diagnostics: diagnostics(&d), ..Default::default() }
            }
        }))
    }

    async fn import_resource_state(&self, req: Request<pb::import_resource_state::Request>) -> Rpc<pb::import_resource_state::Response> {
        let req = req.into_inner();
        tracing::debug!(resource = %req.type_name, id = %req.id, "ImportResourceState");
        let res = guard("ImportResourceState", async {
            let r = self.core.resource(&req.type_name)?;
            let by_identity = match r.identity.as_ref() {
                Some(i) if req.id.is_empty() => decode_identity(req.identity.as_ref(), i)?,
                _ => None,
            };
            let target = match &by_identity {
                Some(identity) => ImportTarget::Identity(identity),
                None => ImportTarget::Id(&req.id),
            };
            let v = self.core.import(r, target).await?;
            let identity = identity_data(self.core.identity_of(r, &v), r.identity.as_ref());
            Ok::<_, Diagnostics>((encode(&v, &r.ty), identity))
        })
        .await;
        Ok(Response::new(match res {
            Ok((state, identity)) => pb::import_resource_state::Response {
                imported_resources: vec![pb::import_resource_state::ImportedResource {
                    type_name: req.type_name,
                    state,
                    private: vec![],
                    identity,
                }],
                ..Default::default()
            },
            Err(d) => pb::import_resource_state::Response { diagnostics: diagnostics(&d), ..Default::default() },
        }))
    }

    async fn move_resource_state(&self, req: Request<pb::move_resource_state::Request>) -> Rpc<pb::move_resource_state::Response> {
        let req = req.into_inner();
        tracing::debug!(from = %req.source_type_name, provider = %req.source_provider_address, to = %req.target_type_name, "MoveResourceState");
        let res = guard_sync("MoveResourceState", || {
            let r = self.core.resource(&req.target_type_name)?;
            let raw = req.source_state.as_ref().map(|s| s.json.as_slice()).unwrap_or_default();
            let state: serde_json::Value = serde_json::from_slice(raw).map_err(|e| {
                Diagnostics::of_error(
                    format!("Cannot read the state of the {} being moved", req.source_type_name),
                    format!("Terraform sent a source state that is not JSON ({e}). This is a bug in Terraform or in the source provider's state."),
                )
            })?;
            let from = MoveSource {
                provider: &req.source_provider_address,
                type_name: &req.source_type_name,
                schema_version: req.source_schema_version,
                state: &state,
            };
            let v = self.core.move_state(r, &from)?;
            let identity = identity_data(self.core.identity_of(r, &v), r.identity.as_ref());
            Ok::<_, Diagnostics>((encode(&v, &r.ty), identity))
        });
        Ok(Response::new(match res {
            Ok((target_state, target_identity)) => {
                pb::move_resource_state::Response { target_state, target_identity, ..Default::default() }
            }
            Err(d) => pb::move_resource_state::Response { diagnostics: diagnostics(&d), ..Default::default() },
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
            Ok(state) => pb::read_data_source::Response { state, ..Default::default() },
            Err(d) => pb::read_data_source::Response { diagnostics: diagnostics(&d), ..Default::default() },
        }))
    }

    async fn get_functions(&self, _: Request<pb::get_functions::Request>) -> Rpc<pb::get_functions::Response> {
        Ok(Response::new(pb::get_functions::Response::default()))
    }

    async fn call_function(&self, req: Request<pb::call_function::Request>) -> Rpc<pb::call_function::Response> {
        let name = req.into_inner().name;
        Ok(Response::new(pb::call_function::Response {
            result: None,
            error: Some(pb::FunctionError {
                text: format!("The awsecs provider has no function {name:?}: it declares no provider functions."),
                function_argument: None,
            }),
        }))
    }

    async fn validate_ephemeral_resource_config(
        &self,
        req: Request<pb::validate_ephemeral_resource_config::Request>,
    ) -> Rpc<pb::validate_ephemeral_resource_config::Response> {
        let d = not_supported("ephemeral resource", &req.into_inner().type_name);
        Ok(Response::new(pb::validate_ephemeral_resource_config::Response { diagnostics: diagnostics(&d) }))
    }

    async fn open_ephemeral_resource(
        &self,
        req: Request<pb::open_ephemeral_resource::Request>,
    ) -> Rpc<pb::open_ephemeral_resource::Response> {
        let d = not_supported("ephemeral resource", &req.into_inner().type_name);
        Ok(Response::new(pb::open_ephemeral_resource::Response { diagnostics: diagnostics(&d), ..Default::default() }))
    }

    async fn renew_ephemeral_resource(
        &self,
        req: Request<pb::renew_ephemeral_resource::Request>,
    ) -> Rpc<pb::renew_ephemeral_resource::Response> {
        let d = not_supported("ephemeral resource", &req.into_inner().type_name);
        Ok(Response::new(pb::renew_ephemeral_resource::Response { diagnostics: diagnostics(&d), ..Default::default() }))
    }

    async fn close_ephemeral_resource(
        &self,
        req: Request<pb::close_ephemeral_resource::Request>,
    ) -> Rpc<pb::close_ephemeral_resource::Response> {
        let d = not_supported("ephemeral resource", &req.into_inner().type_name);
        Ok(Response::new(pb::close_ephemeral_resource::Response { diagnostics: diagnostics(&d) }))
    }

    async fn list_resource(&self, req: Request<pb::list_resource::Request>) -> Rpc<Events<pb::list_resource::Event>> {
        let d = not_supported("list resource", &req.into_inner().type_name);
        Ok(Response::new(one_event(pb::list_resource::Event { diagnostic: diagnostics(&d), ..Default::default() })))
    }

    async fn validate_list_resource_config(
        &self,
        req: Request<pb::validate_list_resource_config::Request>,
    ) -> Rpc<pb::validate_list_resource_config::Response> {
        let d = not_supported("list resource", &req.into_inner().type_name);
        Ok(Response::new(pb::validate_list_resource_config::Response { diagnostics: diagnostics(&d) }))
    }

    async fn validate_action_config(&self, req: Request<pb::validate_action_config::Request>) -> Rpc<pb::validate_action_config::Response> {
        let d = not_supported("action", &req.into_inner().action_type);
        Ok(Response::new(pb::validate_action_config::Response { diagnostics: diagnostics(&d) }))
    }

    async fn plan_action(&self, req: Request<pb::plan_action::Request>) -> Rpc<pb::plan_action::Response> {
        let d = not_supported("action", &req.into_inner().action_type);
        Ok(Response::new(pb::plan_action::Response { diagnostics: diagnostics(&d), deferred: None }))
    }

    async fn invoke_action(&self, req: Request<pb::invoke_action::Request>) -> Rpc<Events<pb::invoke_action::Event>> {
        use pb::invoke_action::event::{Completed, Type};
        let d = not_supported("action", &req.into_inner().action_type);
        Ok(Response::new(one_event(pb::invoke_action::Event { r#type: Some(Type::Completed(Completed { diagnostics: diagnostics(&d) })) })))
    }

    async fn stop_provider(&self, _: Request<pb::stop_provider::Request>) -> Rpc<pb::stop_provider::Response> {
        self.core.stop();
        Ok(Response::new(pb::stop_provider::Response { error: String::new() }))
    }
}
