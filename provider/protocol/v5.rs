//! Protocol version 5: the `tfplugin5.Provider` service, relayed to the version 6 service.
//!
//! Almost every tfplugin5 message has the same field numbers as its tfplugin6 twin (v6 even leaves
//! field 1 of ValidateProviderConfig.Response unused to match v5's prepared_config). So a v5 request
//! is re-encoded as protobuf bytes and decoded as the v6 message, and the v6 answer comes back the
//! same way. The exception is the schema: v6's Schema.Attribute has `nested_type` at 10, so its
//! `write_only` and `deprecation_message` are 11 and 12 where v5 has 10 and 11, and v5 has no nested
//! attributes at all. Schemas are therefore translated field by field ([`schema5`]), never
//! re-encoded.

use std::future::Future;
use std::sync::Arc;

use tonic::{Request, Response, Status};

use super::proto::tfplugin5 as pb5;
use super::proto::tfplugin5::provider_server::Provider as ProviderV5;
use super::proto::tfplugin6 as pb6;
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

/// A v6 schema in v5's terms. A nested attribute (v6 only) cannot be expressed: None.
pub fn schema5(s: &pb6::Schema) -> Option<pb5::Schema> {
    Some(pb5::Schema {
        version: s.version,
        block: match &s.block {
            Some(b) => Some(block5(b)?),
            None => None,
        },
    })
}

fn block5(b: &pb6::schema::Block) -> Option<pb5::schema::Block> {
    Some(pb5::schema::Block {
        version: b.version,
        attributes: b.attributes.iter().map(attribute5).collect::<Option<Vec<_>>>()?,
        block_types: b
            .block_types
            .iter()
            .map(|n| {
                Some(pb5::schema::NestedBlock {
                    type_name: n.type_name.clone(),
                    block: match &n.block {
                        Some(b) => Some(block5(b)?),
                        None => None,
                    },
                    nesting: n.nesting,
                    min_items: n.min_items,
                    max_items: n.max_items,
                })
            })
            .collect::<Option<Vec<_>>>()?,
        description: b.description.clone(),
        description_kind: b.description_kind,
        deprecated: b.deprecated,
        deprecation_message: b.deprecation_message.clone(),
    })
}

fn attribute5(a: &pb6::schema::Attribute) -> Option<pb5::schema::Attribute> {
    if a.nested_type.is_some() {
        return None;
    }
    Some(pb5::schema::Attribute {
        name: a.name.clone(),
        r#type: a.r#type.clone(),
        description: a.description.clone(),
        required: a.required,
        optional: a.optional,
        computed: a.computed,
        sensitive: a.sensitive,
        description_kind: a.description_kind,
        deprecated: a.deprecated,
        write_only: a.write_only,
        deprecation_message: a.deprecation_message.clone(),
    })
}

/// GetProviderSchema's answer in v5 terms: everything but the schemas is re-encoded; the schemas
/// are translated.
fn provider_schema5(v6: &pb6::get_provider_schema::Response) -> Result<pb5::get_provider_schema::Response, Status> {
    let without_schemas = pb6::get_provider_schema::Response {
        diagnostics: v6.diagnostics.clone(),
        server_capabilities: v6.server_capabilities,
        functions: v6.functions.clone(),
        ..Default::default()
    };
    let mut v5: pb5::get_provider_schema::Response = transcode(&without_schemas)?;
    let untranslatable =
        |name: &str| Status::internal(format!("protocol 5 relay: the schema of {name} uses nested attributes, which need protocol 6"));
    let map = |m: &std::collections::HashMap<String, pb6::Schema>| -> Result<std::collections::HashMap<String, pb5::Schema>, Status> {
        m.iter().map(|(k, s)| schema5(s).map(|s| (k.clone(), s)).ok_or_else(|| untranslatable(k))).collect()
    };
    v5.provider = match &v6.provider {
        Some(s) => Some(schema5(s).ok_or_else(|| untranslatable("the provider block"))?),
        None => None,
    };
    v5.provider_meta = match &v6.provider_meta {
        Some(s) => Some(schema5(s).ok_or_else(|| untranslatable("provider_meta"))?),
        None => None,
    };
    v5.resource_schemas = map(&v6.resource_schemas)?;
    v5.data_source_schemas = map(&v6.data_source_schemas)?;
    v5.ephemeral_resource_schemas = map(&v6.ephemeral_resource_schemas)?;
    v5.list_resource_schemas = map(&v6.list_resource_schemas)?;
    Ok(v5)
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
type Events<T> = std::pin::Pin<Box<dyn tokio_stream::Stream<Item = Result<T, Status>> + Send + 'static>>;

/// A stream of v6 events as v5 events.
fn relay_events<A: prost::Message + 'static, B: prost::Message + Default + Send + 'static>(
    events: std::pin::Pin<Box<dyn tokio_stream::Stream<Item = Result<A, Status>> + Send + 'static>>,
) -> Events<B> {
    use tokio_stream::StreamExt as _;
    Box::pin(events.map(|e| e.and_then(|a| transcode(&a))))
}

#[tonic::async_trait]
impl<P: ProviderConfig> ProviderV5 for V5<P> {
    async fn get_metadata(&self, r: Request<pb5::get_metadata::Request>) -> Rpc<pb5::get_metadata::Response> {
        relay(r, |r| self.v6.get_metadata(r)).await
    }
    async fn get_schema(&self, _: Request<pb5::get_provider_schema::Request>) -> Rpc<pb5::get_provider_schema::Response> {
        let v6 = self.v6.get_provider_schema(Request::new(pb6::get_provider_schema::Request {})).await?;
        Ok(Response::new(provider_schema5(v6.get_ref())?))
    }
    async fn get_resource_identity_schemas(
        &self,
        r: Request<pb5::get_resource_identity_schemas::Request>,
    ) -> Rpc<pb5::get_resource_identity_schemas::Response> {
        relay(r, |r| self.v6.get_resource_identity_schemas(r)).await
    }
    async fn upgrade_resource_identity(
        &self,
        r: Request<pb5::upgrade_resource_identity::Request>,
    ) -> Rpc<pb5::upgrade_resource_identity::Response> {
        relay(r, |r| self.v6.upgrade_resource_identity(r)).await
    }
    async fn move_resource_state(&self, r: Request<pb5::move_resource_state::Request>) -> Rpc<pb5::move_resource_state::Response> {
        relay(r, |r| self.v6.move_resource_state(r)).await
    }
    async fn get_functions(&self, r: Request<pb5::get_functions::Request>) -> Rpc<pb5::get_functions::Response> {
        relay(r, |r| self.v6.get_functions(r)).await
    }
    async fn call_function(&self, r: Request<pb5::call_function::Request>) -> Rpc<pb5::call_function::Response> {
        relay(r, |r| self.v6.call_function(r)).await
    }
    async fn validate_ephemeral_resource_config(
        &self,
        r: Request<pb5::validate_ephemeral_resource_config::Request>,
    ) -> Rpc<pb5::validate_ephemeral_resource_config::Response> {
        relay(r, |r| self.v6.validate_ephemeral_resource_config(r)).await
    }
    async fn open_ephemeral_resource(
        &self,
        r: Request<pb5::open_ephemeral_resource::Request>,
    ) -> Rpc<pb5::open_ephemeral_resource::Response> {
        relay(r, |r| self.v6.open_ephemeral_resource(r)).await
    }
    async fn renew_ephemeral_resource(
        &self,
        r: Request<pb5::renew_ephemeral_resource::Request>,
    ) -> Rpc<pb5::renew_ephemeral_resource::Response> {
        relay(r, |r| self.v6.renew_ephemeral_resource(r)).await
    }
    async fn close_ephemeral_resource(
        &self,
        r: Request<pb5::close_ephemeral_resource::Request>,
    ) -> Rpc<pb5::close_ephemeral_resource::Response> {
        relay(r, |r| self.v6.close_ephemeral_resource(r)).await
    }
    async fn list_resource(&self, r: Request<pb5::list_resource::Request>) -> Rpc<Events<pb5::list_resource::Event>> {
        let a6: pb6::list_resource::Request = transcode(r.get_ref())?;
        let events = self.v6.list_resource(Request::new(a6)).await?.into_inner();
        Ok(Response::new(relay_events(events)))
    }
    async fn validate_list_resource_config(
        &self,
        r: Request<pb5::validate_list_resource_config::Request>,
    ) -> Rpc<pb5::validate_list_resource_config::Response> {
        relay(r, |r| self.v6.validate_list_resource_config(r)).await
    }
    async fn validate_action_config(&self, r: Request<pb5::validate_action_config::Request>) -> Rpc<pb5::validate_action_config::Response> {
        relay(r, |r| self.v6.validate_action_config(r)).await
    }
    async fn plan_action(&self, r: Request<pb5::plan_action::Request>) -> Rpc<pb5::plan_action::Response> {
        relay(r, |r| self.v6.plan_action(r)).await
    }
    async fn invoke_action(&self, r: Request<pb5::invoke_action::Request>) -> Rpc<Events<pb5::invoke_action::Event>> {
        let a6: pb6::invoke_action::Request = transcode(r.get_ref())?;
        let events = self.v6.invoke_action(Request::new(a6)).await?.into_inner();
        Ok(Response::new(relay_events(events)))
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
    use super::*;

    fn attr6(name: &str) -> pb6::schema::Attribute {
        pb6::schema::Attribute { name: name.into(), r#type: b"\"string\"".to_vec(), optional: true, ..Default::default() }
    }

    fn schema6(attributes: Vec<pb6::schema::Attribute>) -> pb6::Schema {
        pb6::Schema { version: 2, block: Some(pb6::schema::Block { attributes, ..Default::default() }) }
    }

    /// Field by field where the versions differ: v6 write_only (11) is v5 write_only (10), v6
    /// deprecation_message (12) is v5's (11). Re-encoding would have put write_only into v5's
    /// deprecation_message (and failed on the wire type).
    #[test]
    fn schema_attributes_are_translated_not_reencoded() {
        let mut a = attr6("password");
        a.write_only = true;
        a.deprecation_message = "use password_wo".into();
        a.sensitive = true;
        let v5 = schema5(&schema6(vec![a])).expect("translatable");
        let a5 = &v5.block.as_ref().unwrap().attributes[0];
        assert!(a5.write_only, "write_only arrives as write_only");
        assert_eq!(a5.deprecation_message, "use password_wo");
        assert!(a5.sensitive && a5.optional && !a5.required);
        assert_eq!(v5.version, 2);

        // The naive re-encoding really does go wrong: this is what the translation avoids.
        let mut a = attr6("x");
        a.write_only = true;
        let naive: Result<pb5::Schema, _> = transcode(&schema6(vec![a]));
        assert!(naive.is_err() || !naive.unwrap().block.unwrap().attributes[0].write_only);
    }

    #[test]
    fn a_nested_attribute_is_refused_for_v5() {
        let mut a = attr6("nested");
        a.nested_type = Some(pb6::schema::Object::default());
        assert!(schema5(&schema6(vec![a])).is_none());
    }

    #[test]
    fn block_deprecation_and_nested_blocks_survive_the_translation() {
        let inner = pb6::schema::Block { attributes: vec![attr6("value")], deprecation_message: "old".into(), ..Default::default() };
        let s = pb6::Schema {
            version: 0,
            block: Some(pb6::schema::Block {
                block_types: vec![pb6::schema::NestedBlock {
                    type_name: "setting".into(),
                    block: Some(inner),
                    nesting: 3,
                    min_items: 0,
                    max_items: 4,
                }],
                ..Default::default()
            }),
        };
        let v5 = schema5(&s).unwrap();
        let nb = &v5.block.unwrap().block_types[0];
        assert_eq!((nb.type_name.as_str(), nb.nesting, nb.max_items), ("setting", 3, 4));
        assert_eq!(nb.block.as_ref().unwrap().deprecation_message, "old");
        assert_eq!(nb.block.as_ref().unwrap().attributes[0].name, "value");
    }

    #[test]
    fn provider_schema_answer_keeps_capabilities_and_translates_every_schema() {
        let mut resources = std::collections::HashMap::new();
        let mut wo = attr6("secret");
        wo.write_only = true;
        resources.insert("awsecs_x".to_string(), schema6(vec![wo]));
        let v6 = pb6::get_provider_schema::Response {
            provider: Some(schema6(vec![attr6("region")])),
            resource_schemas: resources,
            server_capabilities: Some(super::super::v6::capabilities()),
            diagnostics: v6_diag(),
            ..Default::default()
        };
        let v5 = provider_schema5(&v6).unwrap();
        let caps = v5.server_capabilities.unwrap();
        assert!(caps.plan_destroy && caps.move_resource_state && caps.get_provider_schema_optional);
        assert!(v5.resource_schemas["awsecs_x"].block.as_ref().unwrap().attributes[0].write_only);
        assert_eq!(v5.provider.unwrap().block.unwrap().attributes[0].name, "region");
        assert_eq!(v5.diagnostics.len(), 1);
    }

    /// The messages added after 5.2 that are re-encoded do share field numbers.
    #[test]
    fn newer_messages_share_field_numbers() {
        let ident = pb6::ResourceIdentityData { identity_data: Some(pb6::DynamicValue { msgpack: vec![0x80], json: vec![] }) };
        let read6 = pb6::read_resource::Response { new_identity: Some(ident.clone()), private: b"p".to_vec(), ..Default::default() };
        let read5: pb5::read_resource::Response = transcode(&read6).unwrap();
        assert_eq!(read5.new_identity.unwrap().identity_data.unwrap().msgpack, vec![0x80]);
        assert_eq!(read5.private, b"p");

        let mv5 = pb5::move_resource_state::Request {
            source_provider_address: "registry.terraform.io/hashicorp/aws".into(),
            source_type_name: "aws_ecs_cluster".into(),
            source_schema_version: 0,
            source_state: Some(pb5::RawState { json: b"{}".to_vec(), flatmap: Default::default() }),
            target_type_name: "awsecs_cluster".into(),
            ..Default::default()
        };
        let mv6: pb6::move_resource_state::Request = transcode(&mv5).unwrap();
        assert_eq!(mv6.source_type_name, "aws_ecs_cluster");
        assert_eq!(mv6.target_type_name, "awsecs_cluster");
        assert_eq!(mv6.source_state.unwrap().json, b"{}");

        let meta6 = pb6::get_metadata::Response {
            server_capabilities: Some(super::super::v6::capabilities()),
            resources: vec![pb6::get_metadata::ResourceMetadata { type_name: "awsecs_cluster".into() }],
            ..Default::default()
        };
        let meta5: pb5::get_metadata::Response = transcode(&meta6).unwrap();
        assert!(meta5.server_capabilities.unwrap().plan_destroy);
        assert_eq!(meta5.resources[0].type_name, "awsecs_cluster");

        let imp5 = pb5::import_resource_state::Request {
            type_name: "t".into(),
            id: String::new(),
            identity: Some(pb5::ResourceIdentityData { identity_data: Some(pb5::DynamicValue { msgpack: vec![0x80], json: vec![] }) }),
            ..Default::default()
        };
        let imp6: pb6::import_resource_state::Request = transcode(&imp5).unwrap();
        assert!(imp6.identity.is_some());
    }

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
            ..Default::default()
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
