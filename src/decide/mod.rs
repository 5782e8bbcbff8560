//! Deciding what should be, from what is: pure functions from a report or a recommendation and
//! what it depends on (read from the caches by `controller/`) to its desired status, the
//! summary ConfigMap it should have, and what to say in Events. No I/O, and no clock but the
//! one passed in, so every decision is tested as a table of cases.

pub mod conditions;
pub mod recommendation;
pub mod report;
pub mod review;
pub mod summary;
pub mod validation;
