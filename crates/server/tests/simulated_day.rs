//! A simulated day of each traffic scenario on the manual clock, with
//! Headroom's autoscaler under the default rules. The cluster has the
//! defaults of `headroom serve`: pods serve 4 requests at once in 50 ms and
//! start in 3 to 5 s, with samples every 5 s, evaluations every 15 s and 1
//! to 50 pods.
//!
//! What the tests assert:
//!
//! - The rule checker finds no violation in any change the autoscaler makes,
//!   and every step keeps the pod count within the bounds.
//! - Rejections stop once the autoscaler has caught up. Each scenario rises
//!   in one episode a day: daily and holiday from 03:00 to 15:00, spike at
//!   12:00 for 20 minutes. Once the pods of the autoscaler's last scale-up
//!   made during the episode are ready, no later 5-second step of the day
//!   rejects a request. The day ends before demand rises again.
//! - On the smooth scenarios (steady, daily, holiday) no step of the day
//!   rejects a request at all. On the spike, rejections start with the
//!   spike and stop within one 10-minute scale-up period.
//! - The best plan rejects nothing, obeys the rules too, and costs no more
//!   than the fixed count and no less than the lower bound.
//! - The checker reports sequences broken on purpose.

use std::time::Duration;

use headroom_api::autoscaling::{Behavior, ScaleEvent};
use headroom_server::cluster::simulated::StartupDelay;
use headroom_server::loadgen::Scenario;
use headroom_server::simulation::rules::Rule;
use headroom_server::simulation::{
    Load, Model, Policy, Rules, Run, best_plan, check_changes, pods_for, simulate,
};

/// Requests per second at the usual daily peak: 6.25 pods of capacity.
const BASE_RATE: f64 = 500.0;
const DAY: Duration = Duration::from_secs(86_400);
const MINUTE_MS: u64 = 60_000;

fn model() -> Model {
    Model {
        concurrency_per_pod: 4,
        service_time: Duration::from_millis(50),
        startup: StartupDelay {
            base: Duration::from_secs(3),
            jitter: Duration::from_secs(2),
        },
        sample_interval: Duration::from_secs(5),
        evaluation_interval: Duration::from_secs(15),
    }
}

fn rules() -> Rules {
    Rules {
        behavior: Behavior::default(),
        min_node_count: 1,
        max_node_count: 50,
        pod_maximum: 50,
    }
}

fn autoscaler() -> Policy {
    Policy::Autoscaler {
        target_utilization: 0.7,
        tolerance: 0.1,
        rules: rules(),
    }
}

fn day(scenario: Scenario) -> Load {
    Load {
        scenario,
        base_rate: BASE_RATE,
        duration: DAY,
    }
}

fn hours(hours: u64, minutes: u64) -> Duration {
    Duration::from_secs(hours * 3600 + minutes * 60)
}

/// Returns the span of the day over which the scenario's offered rate
/// rises, if any.
fn rise(scenario: Scenario) -> Option<(Duration, Duration)> {
    match scenario {
        Scenario::Steady => None,
        Scenario::Daily | Scenario::Holiday => Some((hours(3, 0), hours(15, 0))),
        Scenario::Spike => Some((hours(12, 0), hours(12, 20))),
    }
}

fn millis(duration: Duration) -> u64 {
    duration.as_millis() as u64
}

/// Returns the start and the rejected requests of each step from `from` on
/// that rejects any.
fn rejecting_steps(run: &Run, from: Duration) -> Vec<(Duration, f64)> {
    run.steps
        .iter()
        .filter(|step| step.start >= from && step.rejected > 0.0)
        .map(|step| (step.start, step.rejected))
        .collect()
}

/// Returns the last scale-up made within `[start, end)`.
fn last_scale_up(run: &Run, start: Duration, end: Duration) -> Option<ScaleEvent> {
    run.changes
        .iter()
        .filter(|change| {
            change.to > change.from && (millis(start)..millis(end)).contains(&change.at)
        })
        .next_back()
        .copied()
}

#[test]
fn autoscaler_obeys_rules_every_scenario() {
    for scenario in Scenario::ALL {
        let run = simulate(&model(), &day(scenario), &autoscaler());

        let violations = check_changes(
            &rules(),
            run.initial_count,
            &run.changes,
            &run.recommendations,
        );
        assert!(violations.is_empty(), "{scenario}: {violations:#?}");
        assert_eq!(
            run.recommendations.len(),
            5761,
            "{scenario}: the initial count, then one recommendation per 15 s"
        );
        if scenario != Scenario::Steady {
            assert!(run.changes.len() >= 2, "{scenario}: {:?}", run.changes);
        }
        for step in &run.steps {
            assert!(
                (1..=50).contains(&step.pods) && step.available <= step.pods,
                "{scenario} at {:?}: {step:?}",
                step.start
            );
        }
    }
}

#[test]
fn rejections_stop_once_caught_up() {
    let ready_after = model().startup.base + model().startup.jitter;
    for scenario in Scenario::ALL {
        let Some((start, end)) = rise(scenario) else {
            continue;
        };
        let run = simulate(&model(), &day(scenario), &autoscaler());
        let last = last_scale_up(&run, start, end).unwrap_or_else(|| {
            panic!(
                "{scenario}: no scale-up while demand rises: {:?}",
                run.changes
            )
        });

        let caught_up = Duration::from_millis(last.at) + ready_after;
        let late = rejecting_steps(&run, caught_up);
        assert!(
            late.is_empty(),
            "{scenario}: rejections after the pods of the scale-up at {:?} were ready: {late:?}",
            Duration::from_millis(last.at)
        );
    }
}

#[test]
fn smooth_days_reject_nothing() {
    for scenario in [Scenario::Steady, Scenario::Daily, Scenario::Holiday] {
        let run = simulate(&model(), &day(scenario), &autoscaler());
        let rejecting = rejecting_steps(&run, Duration::ZERO);
        assert!(rejecting.is_empty(), "{scenario}: {rejecting:?}");
        assert_eq!(run.totals.rejected, 0.0, "{scenario}");
    }
}

#[test]
fn spike_rejections_last_one_period() {
    let run = simulate(&model(), &day(Scenario::Spike), &autoscaler());
    let (spike_start, spike_end) = rise(Scenario::Spike).unwrap();

    let rejecting = rejecting_steps(&run, Duration::ZERO);
    let (first, _) = *rejecting
        .first()
        .expect("the spike overwhelms the pods at first");
    let (last, _) = *rejecting.last().unwrap();
    assert_eq!(first, spike_start, "no rejection before the spike");

    // The first evaluation of the spike may add 10 pods. The next rise comes
    // one 10-minute period later, and its pods take up to 5 s to start.
    let bound = spike_start + Duration::from_secs(15 + 600 + 5);
    assert!(
        last < bound,
        "rejections until {last:?}, later than {bound:?}"
    );
    assert!(last < spike_end);

    let up = last_scale_up(&run, spike_start, spike_end).unwrap();
    assert!(up.at <= millis(spike_start) + 15_000 + 600_000, "{up:?}");
    assert!(run.totals.rejected > 0.0);
}

#[test]
fn plan_rejects_nothing_within_bounds() {
    for scenario in Scenario::ALL {
        let load = day(scenario);
        let plan = best_plan(&model(), &load, &rules(), 1.0);
        let lower_bound = plan.lower_bound_pod_hours;
        let run = simulate(&model(), &load, &Policy::Plan(plan));

        assert_eq!(
            run.totals.rejected,
            0.0,
            "{scenario}: {:?}",
            rejecting_steps(&run, Duration::ZERO)
        );
        let violations = check_changes(
            &rules(),
            run.initial_count,
            &run.changes,
            &run.recommendations,
        );
        assert!(violations.is_empty(), "{scenario}: {violations:#?}");

        let fixed_count = pods_for(scenario.peak_rate(BASE_RATE), model().capacity_per_pod());
        let fixed = simulate(&model(), &load, &Policy::Fixed(fixed_count));
        assert_eq!(
            fixed.totals.rejected, 0.0,
            "{scenario}: fixed at {fixed_count} pods"
        );
        assert!(
            run.totals.pod_hours <= fixed.totals.pod_hours + 1e-9,
            "{scenario}: plan {} pod-hours, fixed {}",
            run.totals.pod_hours,
            fixed.totals.pod_hours
        );
        assert!(
            run.totals.pod_hours >= lower_bound - 1e-9,
            "{scenario}: plan {} pod-hours, lower bound {lower_bound}",
            run.totals.pod_hours
        );
    }
}

#[test]
fn checker_catches_broken_autoscaler() {
    let run = simulate(&model(), &day(Scenario::Spike), &autoscaler());
    let rules = rules();
    let check = |changes: &[ScaleEvent]| -> Vec<Rule> {
        check_changes(&rules, run.initial_count, changes, &run.recommendations)
            .into_iter()
            .map(|violation| violation.rule)
            .collect()
    };
    assert_eq!(check(&run.changes), []);
    let first_up = run
        .changes
        .iter()
        .position(|change| change.to > change.from)
        .unwrap();
    let first_down = run
        .changes
        .iter()
        .position(|change| change.to < change.from)
        .unwrap();

    // Ten pods more on the first rise of the spike than the rate allows.
    let mut too_fast = run.changes.clone();
    too_fast[first_up].to += 10;
    too_fast[first_up + 1].from += 10;
    let broken = check(&too_fast);
    assert!(broken.contains(&Rule::ScaleUpRate), "{broken:?}");

    // Five pods fewer on the first fall than the rate allows.
    let mut too_steep = run.changes.clone();
    too_steep[first_down].to -= 5;
    too_steep[first_down + 1].from -= 5;
    let broken = check(&too_steep);
    assert!(broken.contains(&Rule::ScaleDownRate), "{broken:?}");

    // The first fall made 1 minute early, inside the 5-minute window of the
    // spike's recommendations.
    let mut too_early = run.changes.clone();
    too_early[first_down].at -= MINUTE_MS;
    let broken = check(&too_early);
    assert!(broken.contains(&Rule::ScaleDownStabilization), "{broken:?}");

    // Above the pod maximum of 50.
    let mut too_many = run.changes.clone();
    too_many[first_up].to = 51;
    too_many[first_up + 1].from = 51;
    let broken = check(&too_many);
    assert!(broken.contains(&Rule::Bounds), "{broken:?}");

    // A change dropped from the record leaves a gap in the sequence.
    let mut gap = run.changes.clone();
    gap.remove(first_up);
    let broken = check(&gap);
    assert!(broken.contains(&Rule::Sequence), "{broken:?}");
}
