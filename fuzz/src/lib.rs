//! Shared by the fuzz targets: how a fuzz input becomes a call into breachscope.
pub mod inputs;
