//! The protocol-6.10 RPCs on the real provider (every resource registered), through the v6 service
//! and the v5 relay, without a Terraform: no Terraform on these machines is new enough to call
//! GetResourceIdentitySchemas, UpgradeResourceIdentity or import by identity (1.12+), list
//! resources or actions (1.14+).

use std::sync::Arc;

use tonic::Request;

use crate::framework::ProviderCore;
use crate::protocol::convert::decode;
use crate::protocol::proto::tfplugin5 as pb5;
use crate::protocol::proto::tfplugin5::provider_server::Provider as _;
use crate::protocol::proto::tfplugin6 as pb6;
use crate::protocol::proto::tfplugin6::provider_server::Provider as _;
use crate::protocol::{v5::V5, v6::V6};
use crate::resources::provider_block::AwsEcsProvider;
use crate::tf::{Type, Value};

fn v6() -> Arc<V6<AwsEcsProvider>> {
    Arc::new(V6::new(Arc::new(ProviderCore::new(AwsEcsProvider, crate::resources::all_resources(), crate::resources::all_data_sources()))))
}

const RESOURCES: [&str; 7] = [
    "awsecs_capacity_provider",
    "awsecs_cluster",
    "awsecs_container_instance",
    "awsecs_rds_link",
    "awsecs_service",
    "awsecs_task",
    "awsecs_task_definition",
];

#[tokio::test]
async fn metadata_and_schema_declare_the_capabilities() {
    let v6 = v6();
    let meta = v6.get_metadata(Request::new(pb6::get_metadata::Request {})).await.unwrap().into_inner();
    let caps = meta.server_capabilities.expect("capabilities");
    assert!(caps.plan_destroy && caps.get_provider_schema_optional && caps.move_resource_state && !caps.generate_resource_config);
    let mut names: Vec<String> = meta.resources.iter().map(|r| r.type_name.clone()).collect();
    names.sort();
    assert_eq!(names, RESOURCES);
    assert_eq!(meta.data_sources.len(), 2);
    assert!(meta.functions.is_empty() && meta.ephemeral_resources.is_empty() && meta.list_resources.is_empty() && meta.actions.is_empty());

    let schema = v6.get_provider_schema(Request::new(pb6::get_provider_schema::Request {})).await.unwrap().into_inner();
    assert!(schema.server_capabilities.expect("capabilities in GetProviderSchema too").plan_destroy);

    let v5 = V5::new(v6);
    let schema5 = v5.get_schema(Request::new(pb5::get_provider_schema::Request {})).await.unwrap().into_inner();
    assert_eq!(schema5.resource_schemas.len(), RESOURCES.len(), "every schema survives the v5 translation");
    assert!(schema5.server_capabilities.unwrap().move_resource_state);
    let meta5 = v5.get_metadata(Request::new(pb5::get_metadata::Request {})).await.unwrap().into_inner();
    assert_eq!(meta5.resources.len(), RESOURCES.len());
}

/// Every resource has an identity, each identity attribute is a state attribute of the same type.
#[tokio::test]
async fn every_resource_has_an_identity_made_of_its_own_attributes() {
    let v6 = v6();
    let got = v6.get_resource_identity_schemas(Request::new(pb6::get_resource_identity_schemas::Request {})).await.unwrap().into_inner();
    assert!(got.diagnostics.is_empty());
    for name in RESOURCES {
        let identity = got.identity_schemas.get(name).unwrap_or_else(|| panic!("{name} has an identity"));
        assert!(identity.identity_attributes.iter().any(|a| a.required_for_import), "{name}: something is required for import");
        let r = v6.core().resource(name).unwrap();
        for a in &identity.identity_attributes {
            let state_attr = r.schema.block.attribute(&a.name).unwrap_or_else(|| panic!("{name}.{} is a state attribute", a.name));
            assert_eq!(Type::from_json(&serde_json::from_slice(&a.r#type).unwrap()).unwrap(), state_attr.ty, "{name}.{}", a.name);
            assert!(!a.description.is_empty(), "{name}.{} is described", a.name);
        }
    }
}

#[tokio::test]
async fn stored_identities_upgrade_and_bad_ones_are_diagnostics() {
    let v6 = v6();
    let req = pb6::upgrade_resource_identity::Request {
        type_name: "awsecs_service".into(),
        version: 0,
        raw_identity: Some(pb6::RawState { json: br#"{"cluster":"wordpress","name":"web"}"#.to_vec(), flatmap: Default::default() }),
    };
    let out = v6.upgrade_resource_identity(Request::new(req)).await.unwrap().into_inner();
    assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
    let ty = v6.core().resource("awsecs_service").unwrap().identity.as_ref().unwrap().ty();
    let v = decode(out.upgraded_identity.unwrap().identity_data.as_ref(), &ty, "identity").unwrap();
    assert_eq!(v, Value::object([("cluster", "wordpress".into()), ("name", "web".into())]));

    let newer = pb6::upgrade_resource_identity::Request {
        type_name: "awsecs_service".into(),
        version: 7,
        raw_identity: Some(pb6::RawState { json: b"{}".to_vec(), flatmap: Default::default() }),
    };
    let out = v6.upgrade_resource_identity(Request::new(newer)).await.unwrap().into_inner();
    assert!(out.diagnostics[0].summary.contains("newer than this provider"), "{:?}", out.diagnostics);

    // Through the v5 relay too.
    let v5 = V5::new(v6.clone());
    let req5 = pb5::upgrade_resource_identity::Request {
        type_name: "awsecs_cluster".into(),
        version: 0,
        raw_identity: Some(pb5::RawState { json: br#"{"name":"wordpress"}"#.to_vec(), flatmap: Default::default() }),
    };
    let out5 = v5.upgrade_resource_identity(Request::new(req5)).await.unwrap().into_inner();
    assert!(out5.diagnostics.is_empty() && out5.upgraded_identity.is_some());
}

/// An import by identity becomes the resource's import ID; an incomplete identity says what it
/// lacks (before any AWS call: this provider is not even configured here).
#[tokio::test]
async fn import_by_identity_names_what_is_missing() {
    let v6 = v6();
    let ty = v6.core().resource("awsecs_service").unwrap().identity.as_ref().unwrap().ty();
    let half = Value::object([("cluster", "wordpress".into()), ("name", Value::Null)]);
    let req = pb6::import_resource_state::Request {
        type_name: "awsecs_service".into(),
        id: String::new(),
        identity: Some(pb6::ResourceIdentityData { identity_data: crate::protocol::convert::encode(&half, &ty) }),
        ..Default::default()
    };
    let out = v6.import_resource_state(Request::new(req)).await.unwrap().into_inner();
    assert!(out.imported_resources.is_empty());
    assert!(out.diagnostics[0].summary.contains("identity attribute \"name\" is missing"), "{:?}", out.diagnostics);

    // A complete identity gets as far as the AWS call (here: the provider is not configured).
    let whole = Value::object([("cluster", "wordpress".into()), ("name", "web".into())]);
    let req = pb6::import_resource_state::Request {
        type_name: "awsecs_service".into(),
        identity: Some(pb6::ResourceIdentityData { identity_data: crate::protocol::convert::encode(&whole, &ty) }),
        ..Default::default()
    };
    let out = v6.import_resource_state(Request::new(req)).await.unwrap().into_inner();
    assert!(out.diagnostics[0].summary.contains("Provider not configured"), "{:?}", out.diagnostics);
}

#[tokio::test]
async fn what_this_provider_has_none_of_is_a_diagnostic_not_unimplemented() {
    use tokio_stream::StreamExt as _;
    let v6 = v6();
    let eph = v6
        .validate_ephemeral_resource_config(Request::new(pb6::validate_ephemeral_resource_config::Request {
            type_name: "awsecs_secret".into(),
            config: None,
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(eph.diagnostics[0].summary.contains("no ephemeral resource \"awsecs_secret\""), "{:?}", eph.diagnostics);
    let open = v6
        .open_ephemeral_resource(Request::new(pb6::open_ephemeral_resource::Request { type_name: "x".into(), ..Default::default() }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(open.diagnostics[0].severity, pb6::diagnostic::Severity::Error as i32);

    let mut events = v6
        .list_resource(Request::new(pb6::list_resource::Request { type_name: "awsecs_cluster".into(), ..Default::default() }))
        .await
        .unwrap()
        .into_inner();
    let first = events.next().await.expect("one event").expect("not a gRPC error");
    assert!(first.diagnostic[0].summary.contains("no list resource"), "{:?}", first.diagnostic);
    assert!(events.next().await.is_none(), "and only one");

    let plan = v6
        .plan_action(Request::new(pb6::plan_action::Request { action_type: "awsecs_redeploy".into(), ..Default::default() }))
        .await
        .unwrap()
        .into_inner();
    assert!(plan.diagnostics[0].summary.contains("no action \"awsecs_redeploy\""));

    let functions = v6.get_functions(Request::new(pb6::get_functions::Request {})).await.unwrap().into_inner();
    assert!(
        functions.functions.is_empty() && functions.diagnostics.is_empty(),
        "an empty answer, not an error (OpenTofu asks during plan)"
    );
    let call =
        v6.call_function(Request::new(pb6::call_function::Request { name: "f".into(), arguments: vec![] })).await.unwrap().into_inner();
    assert!(call.error.unwrap().text.contains("no function \"f\""));

    // The same through protocol 5, streams included.
    let v5 = V5::new(v6);
    let mut events5 = v5
        .invoke_action(Request::new(pb5::invoke_action::Request { action_type: "a".into(), ..Default::default() }))
        .await
        .unwrap()
        .into_inner();
    match events5.next().await.expect("an event").expect("not a gRPC error").r#type {
        Some(pb5::invoke_action::event::Type::Completed(c)) => assert!(c.diagnostics[0].summary.contains("no action")),
        other => panic!("a completed event with the diagnostic, got {other:?}"),
    }
    let list5 = v5
        .validate_list_resource_config(Request::new(pb5::validate_list_resource_config::Request {
            type_name: "l".into(),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(list5.diagnostics[0].summary.contains("no list resource"));
}

/// A destroy plan (plan_destroy): Terraform sends a null proposed state; the answer plans null.
#[tokio::test]
async fn a_destroy_plan_plans_null() {
    let v6 = v6();
    let r = v6.core().resource("awsecs_task_definition").unwrap();
    let prior = Value::object([("id", "arn:aws:ecs:ap-northeast-1:123456789012:task-definition/wp:1".into()), ("family", "wp".into())]);
    let req = pb6::plan_resource_change::Request {
        type_name: "awsecs_task_definition".into(),
        prior_state: crate::protocol::convert::encode(&prior, &r.ty),
        proposed_new_state: crate::protocol::convert::encode(&Value::Null, &r.ty),
        config: crate::protocol::convert::encode(&Value::Null, &r.ty),
        ..Default::default()
    };
    let out = v6.plan_resource_change(Request::new(req)).await.unwrap().into_inner();
    assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
    assert_eq!(decode(out.planned_state.as_ref(), &r.ty, "planned").unwrap(), Value::Null);
    assert!(out.planned_identity.is_none(), "nothing left to identify");
}
