//! The Headroom control plane: the feature server scaling API, Accounts and
//! Access, the embedded simulated cluster, and hosting of the console.

pub mod app;
pub mod auth;
pub mod cli;
pub mod clock;
pub mod cluster;
pub mod control;
pub mod error;
pub mod feature_servers;
pub mod loadgen;
pub mod recommendations;
pub mod request_stats;
pub mod routes;
pub mod secrets;
pub mod simulation;
pub mod store;
pub mod throttle;
