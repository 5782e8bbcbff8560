//! A server-side apply whose answer is read for the one thing the operator keeps of it: the
//! object's new resourceVersion (the memo of its own writes, `written`).
//!
//! The answer is asked for as metadata only (`PartialObjectMetadata`, as `kubectl get -o name`
//! and kube's metadata watches ask): the API server then sends neither a report's body nor a
//! summary's data back, and nothing is decoded but the resourceVersion. A typed apply decoded
//! the whole object, managedFields included, for every write (docs/benchmarks.md).

use k8s_openapi::NamespaceResourceScope;
use kube::api::{Api, Patch, PatchParams};
use kube::{Client, Resource};
use serde::Deserialize;
use serde_json::value::RawValue;

/// The Accept header of a metadata-only answer (kube-core's, which it keeps private).
const METADATA_ONLY: &str = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1";

#[derive(Deserialize)]
struct Answer {
    metadata: Metadata,
}

#[derive(Deserialize)]
struct Metadata {
    #[serde(rename = "resourceVersion", default)]
    resource_version: String,
}

/// Applies `body` to `name` (its `subresource`, if any) and gives the object's resourceVersion
/// after the write. Errors are kube's own, as from `Api::patch`: a 409 is
/// `kube::Error::Api` with code 409.
pub async fn apply<K>(
    client: &Client,
    namespace: &str,
    name: &str,
    subresource: Option<&str>,
    params: &PatchParams,
    body: &RawValue,
) -> Result<String, kube::Error>
where
    K: Resource<DynamicType = (), Scope = NamespaceResourceScope>,
{
    let api: Api<K> = Api::namespaced(client.clone(), namespace);
    let request = kube::core::Request::new(api.resource_url());
    let patch = Patch::Apply(body);
    let mut req = match subresource {
        Some(sub) => request.patch_subresource(sub, name, params, &patch),
        None => request.patch(name, params, &patch),
    }
    .map_err(kube::Error::BuildRequest)?;
    req.headers_mut().insert(
        http::header::ACCEPT,
        http::HeaderValue::from_static(METADATA_ONLY),
    );
    req.extensions_mut().insert(if subresource.is_some() {
        "patch_status"
    } else {
        "patch"
    });
    let answer: Answer = client.request(req).await?;
    Ok(answer.metadata.resource_version)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_resource_version_is_read_of_an_answer() {
        let answer: Answer = serde_json::from_str(
            r#"{"kind":"PartialObjectMetadata","apiVersion":"meta.k8s.io/v1",
                "metadata":{"name":"a","resourceVersion":"42","managedFields":[{"manager":"x",
                "fieldsV1":{"f:data":{}}}]}}"#,
        )
        .expect("an answer");
        assert_eq!(answer.metadata.resource_version, "42");
    }
}
