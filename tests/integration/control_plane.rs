//! The control plane is real: the API server validates with its own messages, the garbage
//! collector and namespace controller run, RBAC denies and grants, and watches see other
//! clients' writes. Everything the operator's later tests stand on.

use std::collections::BTreeMap;
use std::time::Duration;

use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::core::v1::{ConfigMap, Namespace};
use k8s_openapi::api::rbac::v1::{PolicyRule, Role, RoleBinding, RoleRef, Subject};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use kube::api::{
    ApiResource, DeleteParams, DynamicObject, GroupVersionKind, ObjectMeta, Patch, PatchParams,
    PostParams,
};
use kube::runtime::{conditions, wait::await_condition, watcher};
use kube::{Api, Client, ResourceExt};

use crate::support::{eventually, setup};

fn config_map(name: &str, data: &[(&str, &str)]) -> ConfigMap {
    ConfigMap {
        metadata: ObjectMeta {
            name: Some(name.into()),
            ..Default::default()
        },
        data: Some(
            data.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        ),
        ..Default::default()
    }
}

fn api_error(result: Result<impl std::fmt::Debug, kube::Error>) -> kube::core::Status {
    match result {
        Err(kube::Error::Api(status)) => *status,
        other => panic!("expected an error from the API server, got {other:?}"),
    }
}

#[tokio::test]
async fn the_api_server_rejects_an_invalid_object_with_its_own_message() {
    let env = setup("invalid-object").await;
    let config_maps: Api<ConfigMap> = Api::namespaced(env.client.clone(), &env.namespace);
    let status = api_error(
        config_maps
            .create(&PostParams::default(), &config_map("Not_A_Valid_Name", &[]))
            .await,
    );
    assert_eq!(status.code, 422);
    assert!(
        status.message.contains(
            r#"metadata.name: Invalid value: "Not_A_Valid_Name": a lowercase RFC 1123 subdomain"#
        ),
        "{}",
        status.message
    );
}

/// A CRD with an OpenAPI bound and a CEL rule, like the operator's own: the API server enforces
/// both at write time, naming the field.
#[tokio::test]
async fn the_api_server_enforces_a_crds_schema_and_cel_rules() {
    let env = setup("crd-validation").await;
    let crd: CustomResourceDefinition = serde_json::from_value(serde_json::json!({
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "gadgets.testenv.tripreports.dev"},
        "spec": {
            "group": "testenv.tripreports.dev",
            "names": {"kind": "Gadget", "plural": "gadgets", "singular": "gadget", "listKind": "GadgetList"},
            "scope": "Namespaced",
            "versions": [{
                "name": "v1", "served": true, "storage": true,
                "schema": {"openAPIV3Schema": {
                    "type": "object",
                    "properties": {"spec": {
                        "type": "object",
                        "required": ["min", "max"],
                        "properties": {
                            "min": {"type": "integer", "minimum": 0, "maximum": 10},
                            "max": {"type": "integer", "minimum": 0, "maximum": 10}
                        },
                        "x-kubernetes-validations": [{"rule": "self.max >= self.min", "message": "max must be at least min"}]
                    }}
                }}
            }]
        }
    }))
    .expect("a CRD");
    let crds: Api<CustomResourceDefinition> = Api::all(env.client.clone());
    crds.patch(
        "gadgets.testenv.tripreports.dev",
        &PatchParams::apply("testenv-tests").force(),
        &Patch::Apply(&crd),
    )
    .await
    .expect("install the CRD");
    tokio::time::timeout(
        Duration::from_secs(30),
        await_condition(
            crds,
            "gadgets.testenv.tripreports.dev",
            conditions::is_crd_established(),
        ),
    )
    .await
    .expect("the CRD is established within 30s")
    .expect("watch the CRD");

    let resource = ApiResource::from_gvk(&GroupVersionKind::gvk(
        "testenv.tripreports.dev",
        "v1",
        "Gadget",
    ));
    let gadgets: Api<DynamicObject> =
        Api::namespaced_with(env.client.clone(), &env.namespace, &resource);
    let gadget = |name: &str, min: i64, max: i64| {
        let mut object = DynamicObject::new(name, &resource);
        object.data = serde_json::json!({"spec": {"min": min, "max": max}});
        object
    };
    // Discovery of a just-established CRD can lag a moment behind its condition.
    let out_of_range = eventually(
        "the API server to serve gadgets",
        Duration::from_secs(30),
        || async {
            match gadgets
                .create(&PostParams::default(), &gadget("too-big", 1, 20))
                .await
            {
                Err(kube::Error::Api(status)) if status.code == 422 => Ok(status),
                other => Err(format!("{other:?}")),
            }
        },
    )
    .await;
    assert!(
        out_of_range.message.contains(
            "spec.max: Invalid value: 20: spec.max in body should be less than or equal to 10"
        ),
        "{}",
        out_of_range.message
    );

    let status = api_error(
        gadgets
            .create(&PostParams::default(), &gadget("inverted", 5, 2))
            .await,
    );
    assert_eq!(status.code, 422);
    assert!(
        status.message.contains("max must be at least min"),
        "{}",
        status.message
    );

    gadgets
        .create(&PostParams::default(), &gadget("fine", 2, 5))
        .await
        .expect("a valid gadget is accepted");
}

#[tokio::test]
async fn deleting_an_owner_garbage_collects_its_dependent() {
    let env = setup("gc").await;
    let config_maps: Api<ConfigMap> = Api::namespaced(env.client.clone(), &env.namespace);
    let owner = config_maps
        .create(&PostParams::default(), &config_map("owner", &[]))
        .await
        .expect("create the owner");
    let mut dependent = config_map("dependent", &[("report", "summary")]);
    dependent.metadata.owner_references = Some(vec![OwnerReference {
        api_version: "v1".into(),
        kind: "ConfigMap".into(),
        name: owner.name_any(),
        uid: owner.uid().expect("the API server sets a uid"),
        controller: Some(true),
        block_owner_deletion: Some(true),
    }]);
    config_maps
        .create(&PostParams::default(), &dependent)
        .await
        .expect("create the dependent");
    config_maps
        .create(&PostParams::default(), &config_map("bystander", &[]))
        .await
        .expect("create an unrelated ConfigMap");

    config_maps
        .delete("owner", &DeleteParams::background())
        .await
        .expect("delete the owner");
    // Only kube-controller-manager's garbage collector deletes dependents; its first sync of
    // the cluster's resources can take a while after start-up.
    eventually(
        "the dependent to be garbage-collected",
        Duration::from_secs(90),
        || async {
            match config_maps.get_opt("dependent").await {
                Ok(None) => Ok(()),
                Ok(Some(cm)) => Err(format!("still there, owners {:?}", cm.owner_references())),
                Err(e) => Err(e.to_string()),
            }
        },
    )
    .await;
    assert!(
        config_maps
            .get_opt("bystander")
            .await
            .expect("get")
            .is_some(),
        "the garbage collector deleted a ConfigMap that had no owner"
    );
}

#[tokio::test]
async fn deleting_a_namespace_is_finalized_by_the_namespace_controller() {
    let env = setup("ns-delete").await;
    let config_maps: Api<ConfigMap> = Api::namespaced(env.client.clone(), &env.namespace);
    config_maps
        .create(&PostParams::default(), &config_map("content", &[]))
        .await
        .expect("create content");
    let namespaces: Api<Namespace> = Api::all(env.client.clone());
    namespaces
        .delete(&env.namespace, &DeleteParams::default())
        .await
        .expect("delete the namespace");
    eventually(
        "the namespace to be gone",
        Duration::from_secs(90),
        || async {
            match namespaces.get_opt(&env.namespace).await {
                Ok(None) => Ok(()),
                Ok(Some(ns)) => Err(format!("phase {:?}", ns.status.and_then(|s| s.phase))),
                Err(e) => Err(e.to_string()),
            }
        },
    )
    .await;
}

async fn grant_config_map_reader(client: &Client, namespace: &str, subject: Subject) {
    let roles: Api<Role> = Api::namespaced(client.clone(), namespace);
    let bindings: Api<RoleBinding> = Api::namespaced(client.clone(), namespace);
    let name = format!("read-config-maps-{}", subject.name.replace(':', "-"));
    roles
        .create(
            &PostParams::default(),
            &Role {
                metadata: ObjectMeta {
                    name: Some(name.clone()),
                    ..Default::default()
                },
                rules: Some(vec![PolicyRule {
                    api_groups: Some(vec![String::new()]),
                    resources: Some(vec!["configmaps".into()]),
                    verbs: vec!["get".into(), "list".into(), "watch".into()],
                    ..Default::default()
                }]),
            },
        )
        .await
        .expect("create the Role");
    bindings
        .create(
            &PostParams::default(),
            &RoleBinding {
                metadata: ObjectMeta {
                    name: Some(name.clone()),
                    ..Default::default()
                },
                role_ref: RoleRef {
                    api_group: "rbac.authorization.k8s.io".into(),
                    kind: "Role".into(),
                    name,
                },
                subjects: Some(vec![subject]),
            },
        )
        .await
        .expect("create the RoleBinding");
}

/// Lists ConfigMaps as `client` until RBAC (which learns of new bindings through its own
/// watch) lets it, then shows the grant covers reading only.
async fn assert_granted_read_only(client: Client, namespace: &str, user: &str) {
    let config_maps: Api<ConfigMap> = Api::namespaced(client, namespace);
    eventually(
        &format!("{user} to be allowed to list"),
        Duration::from_secs(30),
        || async {
            config_maps
                .list(&Default::default())
                .await
                .map(|_| ())
                .map_err(|e| e.to_string())
        },
    )
    .await;
    let status = api_error(
        config_maps
            .create(&PostParams::default(), &config_map("nope", &[]))
            .await,
    );
    assert_eq!(status.code, 403);
    assert!(
        status.message.contains(&format!(
            r#"User "{user}" cannot create resource "configmaps""#
        )),
        "{}",
        status.message
    );
}

#[tokio::test]
async fn rbac_forbids_a_user_without_a_grant_and_allows_one_with_it() {
    let env = setup("rbac-user").await;
    let alice = env
        .cp
        .user_client("alice", &["trip-reporters"])
        .await
        .expect("alice's client");
    let config_maps: Api<ConfigMap> = Api::namespaced(alice.clone(), &env.namespace);
    let status = api_error(config_maps.list(&Default::default()).await);
    assert_eq!(status.code, 403);
    assert_eq!(status.reason, "Forbidden");
    assert!(
        status.message.contains(&format!(
            r#"configmaps is forbidden: User "alice" cannot list resource "configmaps" in API group "" in the namespace "{}""#,
            env.namespace
        )),
        "{}",
        status.message
    );
    // Granted to her group, not to her name: the certificate's O field is the group.
    let group = Subject {
        kind: "Group".into(),
        name: "trip-reporters".into(),
        api_group: Some("rbac.authorization.k8s.io".into()),
        namespace: None,
    };
    grant_config_map_reader(&env.client, &env.namespace, group).await;
    assert_granted_read_only(alice, &env.namespace, "alice").await;
}

#[tokio::test]
async fn rbac_forbids_a_service_account_without_a_grant_and_allows_one_with_it() {
    let env = setup("rbac-sa").await;
    let reader = env
        .cp
        .service_account_client(&env.namespace, "reader")
        .await
        .expect("the ServiceAccount's client");
    let user = format!("system:serviceaccount:{}:reader", env.namespace);
    let config_maps: Api<ConfigMap> = Api::namespaced(reader.clone(), &env.namespace);
    let status = api_error(config_maps.list(&Default::default()).await);
    assert_eq!(status.code, 403);
    assert!(
        status.message.contains(&format!(
            r#"User "{user}" cannot list resource "configmaps""#
        )),
        "{}",
        status.message
    );
    let account = Subject {
        kind: "ServiceAccount".into(),
        name: "reader".into(),
        namespace: Some(env.namespace.clone()),
        api_group: None,
    };
    grant_config_map_reader(&env.client, &env.namespace, account).await;
    assert_granted_read_only(reader, &env.namespace, &user).await;
}

#[tokio::test]
async fn a_watch_sees_a_change_made_by_another_client() {
    let env = setup("watch").await;
    let config_maps: Api<ConfigMap> = Api::namespaced(env.client.clone(), &env.namespace);
    config_maps
        .create(
            &PostParams::default(),
            &config_map("greeting", &[("hello", "world")]),
        )
        .await
        .expect("create");

    let mut events = watcher(config_maps.clone(), watcher::Config::default()).boxed();
    // The initial list first, so the change below cannot be mistaken for it.
    loop {
        match tokio::time::timeout(Duration::from_secs(30), events.try_next()).await {
            Ok(Ok(Some(watcher::Event::InitDone))) => break,
            Ok(Ok(Some(_))) => {}
            other => panic!("the watch did not list the namespace: {other:?}"),
        }
    }

    // A different identity and a different connection make the change.
    let writer = env
        .cp
        .user_client("writer", &["system:masters"])
        .await
        .expect("writer's client");
    let writer_config_maps: Api<ConfigMap> = Api::namespaced(writer, &env.namespace);
    let patch = serde_json::json!({"data": {"hello": "Barcelona"}});
    writer_config_maps
        .patch(
            "greeting",
            &PatchParams {
                field_manager: Some("writer".into()),
                ..Default::default()
            },
            &Patch::Merge(&patch),
        )
        .await
        .expect("the writer's patch");

    let seen = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(event) = events.try_next().await.expect("the watch stream") {
            if let watcher::Event::Apply(cm) = event {
                return cm.data;
            }
        }
        None
    })
    .await
    .expect("the watch saw the change within 30s");
    assert_eq!(
        seen,
        Some(BTreeMap::from([(
            "hello".to_string(),
            "Barcelona".to_string()
        )]))
    );
    let managers: Vec<String> = config_maps
        .get("greeting")
        .await
        .expect("get")
        .managed_fields()
        .iter()
        .filter_map(|m| m.manager.clone())
        .collect();
    assert!(
        managers.iter().any(|m| m == "writer"),
        "the change is not the writer's: {managers:?}"
    );
}

#[tokio::test]
async fn kubectl_and_the_server_report_the_pinned_release() {
    let env = setup("version").await;
    let go_mod = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/controlplane/k8s/go.mod"
    ))
    .expect("read the pinned go.mod");
    let pinned = go_mod
        .lines()
        .find_map(|l| l.trim().strip_prefix("k8s.io/kubernetes "))
        .expect("go.mod pins k8s.io/kubernetes")
        .trim()
        .to_string();
    let output = env
        .cp
        .kubectl()
        .args(["version", "-o", "json"])
        .output()
        .expect("run kubectl");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let version: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("kubectl's JSON");
    assert_eq!(version["clientVersion"]["gitVersion"], pinned.as_str());
    assert_eq!(version["serverVersion"]["gitVersion"], pinned.as_str());
    let server = env.client.apiserver_version().await.expect("/version");
    assert_eq!(server.git_version, pinned);
}
