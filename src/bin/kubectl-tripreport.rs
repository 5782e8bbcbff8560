//! `kubectl-tripreport`: on PATH, `kubectl tripreport list|view|serve` (see src/reading/plugin.rs).

fn main() -> std::process::ExitCode {
    tripreport_operator::reading::plugin::main()
}
