//! The embedded simulated cluster: feature server pods in-process.
//!
//! A pod is created when the desired count rises and becomes ready after the
//! start-up delay plus a jitter. When the desired count falls, pods are
//! removed at once: pods still starting first, then the newest ready ones. Readiness is
//! worked out from the [`Clock`] whenever the cluster is read, so no task has
//! to run and a test moves pods along by advancing a manual clock.
//!
//! A ready pod serves up to `concurrency_per_pod` feature requests at once.
//! Each pod integrates its in-flight count over time, so utilization is a
//! time-weighted average rather than a snapshot.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use super::{Admission, ClusterBackend, LoadReport, PodCounts, Saturated};
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
    in_flight: u32,
    /// In-flight requests integrated over time since `report_start`, in
    /// request-seconds.
    busy: f64,
    last_change: SystemTime,
}

impl Pod {
    fn is_ready(&self, now: SystemTime) -> bool {
        self.ready_at <= now
    }

    /// Adds the in-flight time since the last change to `busy`.
    fn integrate(&mut self, now: SystemTime) {
        let since = now.duration_since(self.last_change).unwrap_or_default();
        self.busy += f64::from(self.in_flight) * since.as_secs_f64();
        self.last_change = now;
    }
}

#[derive(Debug)]
struct State {
    desired: u32,
    pods: Vec<Pod>,
    next_pod_id: u64,
    /// Start of the interval the next load report covers.
    report_start: SystemTime,
}

pub struct SimulatedCluster {
    state: Arc<Mutex<State>>,
    clock: Arc<dyn Clock>,
    startup: StartupDelay,
    concurrency_per_pod: u32,
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl SimulatedCluster {
    /// Creates a cluster whose `desired` pods start now.
    pub fn new(clock: Arc<dyn Clock>, startup: StartupDelay, concurrency_per_pod: u32, desired: u32) -> Self {
        let now = clock.now();
        let cluster = SimulatedCluster {
            state: Arc::new(Mutex::new(State {
                desired: 0,
                pods: Vec::new(),
                next_pod_id: 1,
                report_start: now,
            })),
            clock,
            startup,
            concurrency_per_pod,
        };
        cluster.set_desired(desired);
        cluster
    }
}

impl ClusterBackend for SimulatedCluster {
    fn set_desired(&self, desired: u32) {
        let now = self.clock.now();
        let mut state = lock(&self.state);
        state.desired = desired;

        let target = desired as usize;
        while state.pods.len() < target {
            let id = state.next_pod_id;
            state.next_pod_id += 1;
            let ready_at = now + self.startup.for_pod(id);
            state.pods.push(Pod {
                id,
                ready_at,
                in_flight: 0,
                busy: 0.0,
                last_change: ready_at,
            });
            tracing::debug!(pod = format!("feature-server-{id}"), "pod created");
        }
        if state.pods.len() > target {
            // Remove starting pods before ready ones, and newer before older.
            state.pods.sort_by_key(|pod| (pod.is_ready(now), std::cmp::Reverse(pod.id)));
            let removed = state.pods.len() - target;
            for pod in state.pods.drain(..removed) {
                tracing::debug!(pod = format!("feature-server-{}", pod.id), "pod removed");
            }
            state.pods.sort_by_key(|pod| pod.id);
        }
    }

    fn counts(&self) -> PodCounts {
        let now = self.clock.now();
        let state = lock(&self.state);
        let available = state.pods.iter().filter(|pod| pod.is_ready(now)).count();
        PodCounts {
            current: state.pods.len() as u32,
            available: available as u32,
            desired: state.desired,
        }
    }

    fn admit(&self) -> Result<Admission, Saturated> {
        let now = self.clock.now();
        let mut state = lock(&self.state);
        let concurrency = self.concurrency_per_pod;
        let pod = state
            .pods
            .iter_mut()
            .filter(|pod| pod.is_ready(now) && pod.in_flight < concurrency)
            .min_by_key(|pod| (pod.in_flight, pod.id));
        let Some(pod) = pod else {
            let available = state.pods.iter().filter(|pod| pod.is_ready(now)).count() as u32;
            return Err(Saturated {
                available,
                concurrency_per_pod: concurrency,
            });
        };
        pod.integrate(now);
        pod.in_flight += 1;
        let pod_id = pod.id;

        let state = Arc::clone(&self.state);
        let clock = Arc::clone(&self.clock);
        Ok(Admission::new(move || {
            let now = clock.now();
            let mut state = lock(&state);
            // The pod may have been removed while the request ran.
            if let Some(pod) = state.pods.iter_mut().find(|pod| pod.id == pod_id) {
                pod.integrate(now);
                pod.in_flight -= 1;
            }
        }))
    }

    fn take_load_report(&self) -> LoadReport {
        let now = self.clock.now();
        let mut state = lock(&self.state);
        let start = state.report_start;
        let concurrency = f64::from(self.concurrency_per_pod.max(1));
        let mut report = LoadReport::default();
        for pod in state.pods.iter_mut().filter(|pod| pod.is_ready(now)) {
            pod.integrate(now);
            let ready_for = now.duration_since(start.max(pod.ready_at)).unwrap_or_default();
            let utilization = if ready_for.is_zero() {
                f64::from(pod.in_flight) / concurrency
            } else {
                pod.busy / (ready_for.as_secs_f64() * concurrency)
            };
            report.pod_utilization.push(utilization.clamp(0.0, 1.0));
            report.in_flight += pod.in_flight;
            report.capacity += self.concurrency_per_pod;
            pod.busy = 0.0;
        }
        state.report_start = now;
        report
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    fn cluster(desired: u32, jitter: Duration, concurrency: u32) -> (Arc<ManualClock>, SimulatedCluster) {
        let clock = Arc::new(ManualClock::new());
        let startup = StartupDelay {
            base: Duration::from_secs(3),
            jitter,
        };
        let cluster = SimulatedCluster::new(clock.clone(), startup, concurrency, desired);
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
        let (clock, cluster) = cluster(2, Duration::ZERO, 1);
        assert_eq!(cluster.counts(), counts(2, 0, 2));
        clock.advance(Duration::from_millis(2_999));
        assert_eq!(cluster.counts(), counts(2, 0, 2));
        clock.advance(Duration::from_millis(1));
        assert_eq!(cluster.counts(), counts(2, 2, 2));
    }

    #[test]
    fn scale_up_then_down_removes_starting_pods_first() {
        let (clock, cluster) = cluster(2, Duration::ZERO, 1);
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
        let (clock, cluster) = cluster(10, Duration::from_secs(2), 1);
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
            assert!(pod_delay >= Duration::from_secs(3), "pod {id}: {pod_delay:?}");
            assert!(pod_delay < Duration::from_secs(4), "pod {id}: {pod_delay:?}");
        }
    }

    #[test]
    fn admit_rejects_when_every_pod_is_full() {
        let (clock, cluster) = cluster(2, Duration::ZERO, 2);
        assert_eq!(
            cluster.admit().err(),
            Some(Saturated {
                available: 0,
                concurrency_per_pod: 2
            }),
            "pods still starting serve nothing"
        );
        clock.advance(Duration::from_secs(3));

        let admitted: Vec<Admission> = (0..4).map(|_| cluster.admit().expect("room left")).collect();
        assert_eq!(
            cluster.admit().err(),
            Some(Saturated {
                available: 2,
                concurrency_per_pod: 2
            })
        );
        drop(admitted);
        assert!(cluster.admit().is_ok());
    }

    #[test]
    fn load_report_is_time_weighted() {
        let (clock, cluster) = cluster(2, Duration::ZERO, 2);
        clock.advance(Duration::from_secs(3));
        cluster.take_load_report();

        // The least busy pod takes each request: pod 1, pod 2, then pod 1.
        // Pod 1 serves 2 requests for 5 s and 1 for 5 s more: 15 of 20
        // request-seconds. Pod 2 serves 1 request for 5 s: 5 of 20.
        let first = cluster.admit().unwrap();
        let second = cluster.admit().unwrap();
        let third = cluster.admit().unwrap();
        clock.advance(Duration::from_secs(5));
        drop(second);
        drop(third);
        clock.advance(Duration::from_secs(5));
        let report = cluster.take_load_report();
        assert_eq!(report.capacity, 4);
        assert_eq!(report.in_flight, 1);
        let mut utilization = report.pod_utilization.clone();
        utilization.sort_by(f64::total_cmp);
        assert_eq!(utilization, [0.25, 0.75]);
        drop(first);

        clock.advance(Duration::from_secs(10));
        assert_eq!(cluster.take_load_report().pod_utilization, [0.0, 0.0]);
    }

    #[test]
    fn removed_pod_releases_quietly() {
        let (clock, cluster) = cluster(1, Duration::ZERO, 1);
        clock.advance(Duration::from_secs(3));
        let admission = cluster.admit().unwrap();
        cluster.set_desired(0);
        drop(admission);
        assert_eq!(cluster.counts(), counts(0, 0, 0));
    }
}
