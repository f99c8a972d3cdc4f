//! Cluster backends: what runs the feature server pods.
//!
//! The API and the console see a cluster only through [`ClusterBackend`]: it
//! takes a desired pod count and reports how many pods exist and how many are
//! ready. The embedded [`simulated::SimulatedCluster`] is the default; a
//! Kubernetes backend implements the same trait.

pub mod simulated;

/// Pod counts as a cluster reports them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PodCounts {
    /// Pods that exist, ready or still starting.
    pub current: u32,
    /// Pods ready to serve.
    pub available: u32,
    /// Pods requested.
    pub desired: u32,
}

pub trait ClusterBackend: Send + Sync + 'static {
    /// Asks the cluster to run `desired` pods. Pods start or stop in the
    /// background; [`ClusterBackend::counts`] shows the progress.
    fn set_desired(&self, desired: u32);

    fn counts(&self) -> PodCounts;
}
