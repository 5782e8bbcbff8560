//! Integration tests against a real control plane (etcd, kube-apiserver, kube-controller-manager
//! built from their Go modules). One test binary, so one control plane for the whole run; each
//! test takes a namespace of its own.

mod admission;
mod bad_input;
mod browser;
mod chart;
mod control_plane;
mod controls;
mod deploy;
mod events;
mod gitops;
mod honesty;
mod kubectl_apply;
mod monitoring;
mod offline;
mod operator;
mod ownership;
mod rbac;
mod reading;
#[path = "../properties/rendered_html.rs"]
mod rendered_html;
mod samples;
mod support;
