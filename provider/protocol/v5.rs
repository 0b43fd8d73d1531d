//! Protocol version 5: the `tfplugin5.Provider` service, relayed to the version 6 service.
//!
//! Every tfplugin5 message used here has the same field numbers as its tfplugin6 twin (the protocol
//! was designed that way: v6 even leaves field 1 of ValidateProviderConfig.Response unused to match
//! v5's prepared_config). So a v5 request is re-encoded as protobuf bytes and decoded as the v6
//! message, and the v6 answer comes back the same way. Only the RPC names differ.

use std::future::Future;
use std::sync::Arc;

use tonic::{Request, Response, Status};

use super::proto::tfplugin5 as pb5;
use super::proto::tfplugin5::provider_server::Provider as ProviderV5;
use super::proto::tfplugin6::provider_server::Provider as ProviderV6;
use super::v6::V6;
use crate::framework::ProviderConfig;

pub struct V5<P: ProviderConfig> {
    v6: Arc<V6<P>>,
}

impl<P: ProviderConfig> V5<P> {
    pub fn new(v6: Arc<V6<P>>) -> V5<P> {
        V5 { v6 }
    }
}

/// The same message under the other version's type (fields are matched by number).
fn transcode<A: prost::Message, B: prost::Message + Default>(a: &A) -> Result<B, Status> {
    B::decode(a.encode_to_vec().as_slice()).map_err(|e| Status::internal(format!("protocol 5 relay: {e}")))
}

async fn relay<A5, A6, B6, B5, F, Fut>(req: Request<A5>, call: F) -> Result<Response<B5>, Status>
where
    A5: prost::Message,
    A6: prost::Message + Default,
    B6: prost::Message,
    B5: prost::Message + Default,
    F: FnOnce(Request<A6>) -> Fut,
    Fut: Future<Output = Result<Response<B6>, Status>>,
{
    let a6: A6 = transcode(req.get_ref())?;
    let b6 = call(Request::new(a6)).await?;
    Ok(Response::new(transcode(b6.get_ref())?))
}

type Rpc<T> = Result<Response<T>, Status>;

#[tonic::async_trait]
impl<P: ProviderConfig> ProviderV5 for V5<P> {
    async fn get_schema(&self, r: Request<pb5::get_provider_schema::Request>) -> Rpc<pb5::get_provider_schema::Response> {
        relay(r, |r| self.v6.get_provider_schema(r)).await
    }
    async fn prepare_provider_config(
        &self,
        r: Request<pb5::prepare_provider_config::Request>,
    ) -> Rpc<pb5::prepare_provider_config::Response> {
        relay(r, |r| self.v6.validate_provider_config(r)).await
    }
    async fn validate_resource_type_config(
        &self,
        r: Request<pb5::validate_resource_type_config::Request>,
    ) -> Rpc<pb5::validate_resource_type_config::Response> {
        relay(r, |r| self.v6.validate_resource_config(r)).await
    }
    async fn validate_data_source_config(
        &self,
        r: Request<pb5::validate_data_source_config::Request>,
    ) -> Rpc<pb5::validate_data_source_config::Response> {
        relay(r, |r| self.v6.validate_data_resource_config(r)).await
    }
    async fn upgrade_resource_state(&self, r: Request<pb5::upgrade_resource_state::Request>) -> Rpc<pb5::upgrade_resource_state::Response> {
        relay(r, |r| self.v6.upgrade_resource_state(r)).await
    }
    async fn configure(&self, r: Request<pb5::configure::Request>) -> Rpc<pb5::configure::Response> {
        relay(r, |r| self.v6.configure_provider(r)).await
    }
    async fn read_resource(&self, r: Request<pb5::read_resource::Request>) -> Rpc<pb5::read_resource::Response> {
        relay(r, |r| self.v6.read_resource(r)).await
    }
    async fn plan_resource_change(&self, r: Request<pb5::plan_resource_change::Request>) -> Rpc<pb5::plan_resource_change::Response> {
        relay(r, |r| self.v6.plan_resource_change(r)).await
    }
    async fn apply_resource_change(&self, r: Request<pb5::apply_resource_change::Request>) -> Rpc<pb5::apply_resource_change::Response> {
        relay(r, |r| self.v6.apply_resource_change(r)).await
    }
    async fn import_resource_state(&self, r: Request<pb5::import_resource_state::Request>) -> Rpc<pb5::import_resource_state::Response> {
        relay(r, |r| self.v6.import_resource_state(r)).await
    }
    async fn read_data_source(&self, r: Request<pb5::read_data_source::Request>) -> Rpc<pb5::read_data_source::Response> {
        relay(r, |r| self.v6.read_data_source(r)).await
    }
    async fn stop(&self, r: Request<pb5::stop::Request>) -> Rpc<pb5::stop::Response> {
        relay(r, |r| self.v6.stop_provider(r)).await
    }
}

#[cfg(test)]
mod tests {
    use super::super::proto::tfplugin6 as pb6;
    use super::*;

    #[test]
    fn v5_and_v6_messages_share_field_numbers() {
        let v6 = pb6::plan_resource_change::Response {
            planned_state: Some(pb6::DynamicValue { msgpack: vec![0xc0], json: vec![] }),
            requires_replace: vec![pb6::AttributePath {
                steps: vec![pb6::attribute_path::Step {
                    selector: Some(pb6::attribute_path::step::Selector::AttributeName("name".into())),
                }],
            }],
            planned_private: b"p".to_vec(),
            diagnostics: vec![pb6::Diagnostic {
                severity: pb6::diagnostic::Severity::Error as i32,
                summary: "s".into(),
                detail: "d".into(),
                attribute: None,
            }],
        };
        let v5: pb5::plan_resource_change::Response = transcode(&v6).unwrap();
        assert_eq!(v5.planned_state.unwrap().msgpack, vec![0xc0]);
        assert_eq!(v5.requires_replace.len(), 1);
        assert_eq!(v5.planned_private, b"p");
        assert_eq!(v5.diagnostics[0].summary, "s");
        assert!(!v5.legacy_type_system);

        let diag6 = pb6::validate_provider_config::Response { diagnostics: v6_diag() };
        let prep5: pb5::prepare_provider_config::Response = transcode(&diag6).unwrap();
        assert_eq!(prep5.diagnostics.len(), 1);
        assert!(prep5.prepared_config.is_none());

        let stop5: pb5::stop::Response = transcode(&pb6::stop_provider::Response { error: "x".into() }).unwrap();
        assert_eq!(stop5.error, "x");
    }

    fn v6_diag() -> Vec<pb6::Diagnostic> {
        vec![pb6::Diagnostic { severity: 2, summary: "w".into(), detail: String::new(), attribute: None }]
    }
}
