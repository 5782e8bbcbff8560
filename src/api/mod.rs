//! The tripreports.dev/v1alpha1 API (shared/API.md): the Rust types are the source of the CRDs
//! in crds/, with their bounds, descriptions and CEL rules.

pub mod names;
mod recommendation;
mod report;

pub use recommendation::*;
pub use report::*;

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::CustomResourceExt;

/// Both CRDs, in the order they are written to crds/.
pub fn crds() -> Vec<CustomResourceDefinition> {
    vec![ConferenceReport::crd(), TalkRecommendation::crd()]
}

/// `metav1.Condition`s as a list-map keyed by type (so server-side apply merges them by type),
/// with upstream's bounds and descriptions.
pub(crate) fn conditions_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "description": "The latest observations of the object's state, one per condition type.",
        "type": "array",
        "maxItems": 16,
        "x-kubernetes-list-type": "map",
        "x-kubernetes-list-map-keys": ["type"],
        "items": {
            "type": "object",
            "required": ["type", "status", "lastTransitionTime", "reason", "message"],
            "properties": {
                "type": {"description": "The condition's type, e.g. Ready.", "type": "string", "maxLength": 316},
                "status": {"description": "True, False or Unknown.", "type": "string", "enum": ["True", "False", "Unknown"]},
                "observedGeneration": {"description": "The generation the condition was set for.", "type": "integer", "format": "int64", "minimum": 0},
                "lastTransitionTime": {"description": "When the status last changed.", "type": "string", "format": "date-time"},
                "reason": {"description": "A CamelCase reason for the status.", "type": "string", "maxLength": 1024},
                "message": {"description": "What a person should know, and what to do about it.", "type": "string", "maxLength": 32768}
            }
        }
    })
}
