//! tripreport-operator: reconciles ConferenceReports and TalkRecommendations (tripreports.dev)
//! and publishes each report's summary into a ConfigMap it owns.
//!
//! The binary (src/main.rs) is a thin CLI over this library; the library exists so that the
//! renderer and the offline checker can be benchmarked, property-tested and fuzzed directly.

pub mod api;
pub mod apidoc;
pub mod cli;
pub mod controller;
pub mod decide;
pub mod error;
pub mod gate;
pub mod heap;
pub mod http;
pub mod metrics;
pub mod offline;
pub mod reading;
pub mod render;
pub mod summary;
pub mod text;
pub mod watch_health;
