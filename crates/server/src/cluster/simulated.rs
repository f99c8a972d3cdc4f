//! The embedded simulated cluster: feature server pods in-process.
//!
//! A pod is created when the desired count rises and becomes ready after the
//! start-up delay plus a jitter; it is removed at once when the desired count
//! falls, pods still starting first, then the newest ready ones. Readiness is
//! worked out from the [`Clock`] whenever counts are read, so no task has to
//! run and a test moves pods along by advancing a manual clock.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use super::{ClusterBackend, PodCounts};
use crate::clock::Clock;

/// How long a new pod takes to become ready.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StartupDelay {
    /// Start-up time of every pod.
    pub base: Duration,
    /// Upper bound of the extra time added per pod; each pod gets a
    /// deterministic share of it derived from its id.
    pub jitter: Duration,
}

impl StartupDelay {
    /// Returns the delay of the pod with this id.
    pub fn for_pod(&self, pod_id: u64) -> Duration {
        // Knuth's multiplicative hash spreads consecutive ids over [0, 1000).
        let share = pod_id.wrapping_mul(2_654_435_761) % 1000;
        self.base + self.jitter.mul_f64(share as f64 / 1000.0)
    }
}

#[derive(Debug)]
struct Pod {
    id: u64,
    ready_at: SystemTime,
}

#[derive(Debug)]
struct State {
    desired: u32,
    pods: Vec<Pod>,
    next_pod_id: u64,
}

pub struct SimulatedCluster {
    state: Mutex<State>,
    clock: Arc<dyn Clock>,
    startup: StartupDelay,
}

impl SimulatedCluster {
    /// Creates a cluster whose `desired` pods start now.
    pub fn new(clock: Arc<dyn Clock>, startup: StartupDelay, desired: u32) -> Self {
        let cluster = SimulatedCluster {
            state: Mutex::new(State {
                desired: 0,
                pods: Vec::new(),
                next_pod_id: 1,
            }),
            clock,
            startup,
        };
        cluster.set_desired(desired);
        cluster
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl ClusterBackend for SimulatedCluster {
    fn set_desired(&self, desired: u32) {
        let now = self.clock.now();
        let mut state = self.lock();
        state.desired = desired;

        let target = desired as usize;
        while state.pods.len() < target {
            let id = state.next_pod_id;
            state.next_pod_id += 1;
            let ready_at = now + self.startup.for_pod(id);
            state.pods.push(Pod { id, ready_at });
            tracing::info!(pod = format!("feature-server-{id}"), "pod created");
        }
        if state.pods.len() > target {
            // Remove starting pods before ready ones, and newer before older.
            state
                .pods
                .sort_by_key(|pod| (pod.ready_at <= now, std::cmp::Reverse(pod.id)));
            let removed = state.pods.len() - target;
            for pod in state.pods.drain(..removed) {
                tracing::info!(pod = format!("feature-server-{}", pod.id), "pod removed");
            }
            state.pods.sort_by_key(|pod| pod.id);
        }
    }

    fn counts(&self) -> PodCounts {
        let now = self.clock.now();
        let state = self.lock();
        let available = state.pods.iter().filter(|pod| pod.ready_at <= now).count();
        PodCounts {
            current: state.pods.len() as u32,
            available: available as u32,
            desired: state.desired,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    fn cluster(desired: u32, jitter: Duration) -> (Arc<ManualClock>, SimulatedCluster) {
        let clock = Arc::new(ManualClock::new());
        let startup = StartupDelay {
            base: Duration::from_secs(3),
            jitter,
        };
        let cluster = SimulatedCluster::new(clock.clone(), startup, desired);
        (clock, cluster)
    }

    fn counts(current: u32, available: u32, desired: u32) -> PodCounts {
        PodCounts {
            current,
            available,
            desired,
        }
    }

    #[test]
    fn pods_become_ready_after_delay() {
        let (clock, cluster) = cluster(2, Duration::ZERO);
        assert_eq!(cluster.counts(), counts(2, 0, 2));
        clock.advance(Duration::from_millis(2_999));
        assert_eq!(cluster.counts(), counts(2, 0, 2));
        clock.advance(Duration::from_millis(1));
        assert_eq!(cluster.counts(), counts(2, 2, 2));
    }

    #[test]
    fn scale_up_then_down_removes_starting_pods_first() {
        let (clock, cluster) = cluster(2, Duration::ZERO);
        clock.advance(Duration::from_secs(3));
        cluster.set_desired(5);
        assert_eq!(cluster.counts(), counts(5, 2, 5));

        cluster.set_desired(3);
        assert_eq!(cluster.counts(), counts(3, 2, 3));
        clock.advance(Duration::from_secs(3));
        assert_eq!(cluster.counts(), counts(3, 3, 3));

        cluster.set_desired(1);
        assert_eq!(cluster.counts(), counts(1, 1, 1));
    }

    #[test]
    fn jitter_spreads_readiness_within_bound() {
        let (clock, cluster) = cluster(10, Duration::from_secs(2));
        clock.advance(Duration::from_secs(3));
        let early = cluster.counts().available;
        assert!(early < 10, "some pods wait for their jitter, got {early}");
        clock.advance(Duration::from_secs(2));
        assert_eq!(cluster.counts(), counts(10, 10, 10));
    }

    #[test]
    fn startup_delay_per_pod_is_deterministic() {
        let delay = StartupDelay {
            base: Duration::from_secs(3),
            jitter: Duration::from_secs(1),
        };
        for id in 1..100 {
            let pod_delay = delay.for_pod(id);
            assert_eq!(pod_delay, delay.for_pod(id));
            assert!(pod_delay >= Duration::from_secs(3) && pod_delay < Duration::from_secs(4));
        }
    }
}
