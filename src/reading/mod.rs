//! Reading what the operator published, with the reader's own kubeconfig and RBAC: the
//! `kubectl tripreport` plugin (`list`, `view`, `serve`) and the static pages of
//! `tripreport-operator render --html`. Nothing here writes to the cluster.

pub mod cluster;
pub mod html;
pub mod merge;
pub mod model;
pub mod plugin;
pub mod serve;
pub mod static_site;
pub mod table;
pub mod terminal;
