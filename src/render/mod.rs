//! Rendering a report's summary: pure functions, no I/O.
