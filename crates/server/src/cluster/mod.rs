//! Cluster backends: what runs the feature server pods.
//!
//! The API and the console see a cluster only through [`ClusterBackend`]: it
//! takes a desired pod count, reports how many pods exist and how many are
//! ready, admits feature requests to the ready pods and reports how busy
//! they were. The embedded [`simulated::SimulatedCluster`] is the default; a
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

/// A feature request's place on a pod; the place is freed when this drops.
pub struct Admission {
    release: Option<Box<dyn FnOnce() + Send>>,
}

impl Admission {
    pub fn new(release: impl FnOnce() + Send + 'static) -> Self {
        Admission {
            release: Some(Box::new(release)),
        }
    }
}

impl Drop for Admission {
    fn drop(&mut self) {
        if let Some(release) = self.release.take() {
            release();
        }
    }
}

/// Why a feature request was not admitted: every ready pod is at capacity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Saturated {
    pub available: u32,
    pub concurrency_per_pod: u32,
}

/// Utilization of the ready pods over an interval.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LoadReport {
    /// Utilization of each pod that was ready during the interval, from 0 to
    /// 1: the time-weighted average of its in-flight requests divided by its
    /// concurrency.
    pub pod_utilization: Vec<f64>,
    /// Requests in flight when the report was taken.
    pub in_flight: u32,
    /// Requests that the ready pods can serve at once.
    pub capacity: u32,
}

pub trait ClusterBackend: Send + Sync + 'static {
    /// Asks the cluster to run `desired` pods. Pods start or stop in the
    /// background; [`ClusterBackend::counts`] shows the progress.
    fn set_desired(&self, desired: u32);

    fn counts(&self) -> PodCounts;

    /// Admits a feature request to the least busy ready pod, or rejects it
    /// at once when every ready pod is at capacity.
    fn admit(&self) -> Result<Admission, Saturated>;

    /// Returns how busy the pods were since the previous call.
    fn take_load_report(&self) -> LoadReport;
}
