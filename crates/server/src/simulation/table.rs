//! The comparison that `headroom simulate` prints: Headroom's autoscaler, a
//! fixed count sized for the peak, and the best plan, over each scenario,
//! as markdown tables.

use std::fmt::Write;
use std::time::Duration;

use super::{
    Load, Model, Policy, Rules, Run, Totals, best_plan, check_changes, pods_for, simulate,
};
use crate::loadgen::Scenario;

/// Everything a comparison depends on.
#[derive(Clone, Debug)]
pub struct Settings {
    pub model: Model,
    /// Requests per second at each scenario's usual daily peak.
    pub base_rate: f64,
    /// Scenario time to simulate.
    pub duration: Duration,
    /// The autoscaler's target utilization, from 0 to 1.
    pub target_utilization: f64,
    /// The autoscaler's tolerance around the target.
    pub tolerance: f64,
    pub rules: Rules,
    /// Utilization ceiling, from 0 to 1, of the fixed count and the best
    /// plan. At 1 both serve every request with no spare capacity.
    pub plan_utilization: f64,
}

/// The figures of one policy over one scenario.
#[derive(Clone, Debug)]
pub struct PolicyResult {
    pub totals: Totals,
    /// Changes of the count.
    pub changes: usize,
    /// Changes that break a scaling rule, as the rule checker finds them.
    pub violations: usize,
}

/// The three policies over one scenario.
#[derive(Clone, Debug)]
pub struct Comparison {
    pub scenario: Scenario,
    pub autoscaler: PolicyResult,
    /// The count of the fixed policy and its figures.
    pub fixed: (u32, PolicyResult),
    pub plan: PolicyResult,
    /// Pod-hours that no schedule without rejections goes below.
    pub lower_bound_pod_hours: f64,
}

/// Simulates the three policies over `scenario`.
pub fn compare(settings: &Settings, scenario: Scenario) -> Comparison {
    let model = &settings.model;
    let rules = &settings.rules;
    let load = Load {
        scenario,
        base_rate: settings.base_rate,
        duration: settings.duration,
    };

    let autoscaler = Policy::Autoscaler {
        target_utilization: settings.target_utilization,
        tolerance: settings.tolerance,
        rules: rules.clone(),
    };
    let (lowest, highest) = rules.range();
    let fixed_count = pods_for(
        scenario.peak_rate(settings.base_rate),
        model.capacity_per_pod() * settings.plan_utilization,
    )
    .clamp(lowest, highest);
    let plan = best_plan(model, &load, rules, settings.plan_utilization);
    let lower_bound_pod_hours = plan.lower_bound_pod_hours;

    let result = |run: Run| PolicyResult {
        totals: run.totals,
        changes: run.changes.len(),
        violations: check_changes(rules, run.initial_count, &run.changes, &run.recommendations)
            .len(),
    };
    Comparison {
        scenario,
        autoscaler: result(simulate(model, &load, &autoscaler)),
        fixed: (
            fixed_count,
            result(simulate(model, &load, &Policy::Fixed(fixed_count))),
        ),
        plan: result(simulate(model, &load, &Policy::Plan(plan))),
        lower_bound_pod_hours,
    }
}

/// Formats the settings and two tables: pod-hours and rejections per
/// scenario, then every figure of every run.
pub fn markdown(settings: &Settings, comparisons: &[Comparison]) -> String {
    let model = &settings.model;
    let rules = &settings.rules;
    let mut text = String::new();
    let _ = writeln!(
        text,
        "Simulated {} of each scenario at a base rate of {} requests/s. A pod serves {} requests at once \
         in {} ({} requests/s) and starts in {} to {}. Steps of {}, evaluations every {}; \
         {} to {} pods, pod maximum {}. The autoscaler aims at {}% utilization; the fixed count and \
         the best plan keep utilization at most {}%.",
        span(settings.duration),
        settings.base_rate,
        model.concurrency_per_pod,
        humantime::format_duration(model.service_time),
        model.capacity_per_pod(),
        humantime::format_duration(model.startup.base),
        humantime::format_duration(model.longest_startup()),
        humantime::format_duration(model.sample_interval),
        humantime::format_duration(model.evaluation_interval),
        rules.min_node_count,
        rules.max_node_count,
        rules.pod_maximum,
        percent(settings.target_utilization),
        percent(settings.plan_utilization),
    );

    text.push_str(
        "\n| Scenario | Requests offered | Autoscaler pod-hours | Autoscaler rejected \
         | Fixed at peak pod-hours | Fixed at peak rejected | Best plan pod-hours | Best plan rejected \
         | Lower bound pod-hours |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for comparison in comparisons {
        let (_, fixed) = &comparison.fixed;
        let _ = writeln!(
            text,
            "| {} | {} | {:.1} | {} | {:.1} | {} | {:.1} | {} | {:.1} |",
            comparison.scenario,
            thousands(comparison.autoscaler.totals.offered),
            comparison.autoscaler.totals.pod_hours,
            share(&comparison.autoscaler.totals),
            fixed.totals.pod_hours,
            share(&fixed.totals),
            comparison.plan.totals.pod_hours,
            share(&comparison.plan.totals),
            comparison.lower_bound_pod_hours,
        );
    }

    text.push_str(
        "\n| Scenario | Policy | Pod-hours | Offered | Served | Rejected | Rejected share \
         | Peak pods | Changes | Rule violations |\n|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for comparison in comparisons {
        let (fixed_count, fixed) = &comparison.fixed;
        let rows = [
            ("autoscaler".to_owned(), &comparison.autoscaler),
            (format!("fixed at {fixed_count} pods"), fixed),
            ("best plan".to_owned(), &comparison.plan),
        ];
        for (policy, result) in rows {
            let totals = &result.totals;
            let _ = writeln!(
                text,
                "| {} | {policy} | {:.1} | {} | {} | {} | {} | {} | {} | {} |",
                comparison.scenario,
                totals.pod_hours,
                thousands(totals.offered),
                thousands(totals.served),
                thousands(totals.rejected),
                share(totals),
                totals.peak_pods,
                result.changes,
                result.violations,
            );
        }
    }
    text
}

/// Formats a duration of whole hours as hours, such as `24h`, and any
/// other one as humantime does, such as `1h 30m 5s`.
pub fn span(duration: Duration) -> String {
    let seconds = duration.as_secs();
    if duration.subsec_nanos() == 0 && seconds > 0 && seconds.is_multiple_of(3600) {
        return format!("{}h", seconds / 3600);
    }
    humantime::format_duration(duration).to_string()
}

fn percent(share: f64) -> String {
    format!("{}", (share * 1000.0).round() / 10.0)
}

fn share(totals: &Totals) -> String {
    format!("{:.3}%", 100.0 * totals.rejected_share())
}

/// Formats a count of requests rounded to a whole number, with commas
/// between thousands, such as `43,200,000`.
fn thousands(value: f64) -> String {
    let digits = format!("{:.0}", value.max(0.0));
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    grouped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_groups_digits() {
        assert_eq!(thousands(0.0), "0");
        assert_eq!(thousands(999.4), "999");
        assert_eq!(thousands(1000.0), "1,000");
        assert_eq!(thousands(43_200_000.0), "43,200,000");
    }

    #[test]
    fn span_prefers_hours() {
        assert_eq!(span(Duration::from_secs(86_400)), "24h");
        assert_eq!(span(Duration::from_secs(3600)), "1h");
        assert_eq!(span(Duration::from_secs(5400)), "1h 30m");
        assert_eq!(span(Duration::from_millis(12_500)), "12s 500ms");
    }

    #[test]
    fn percent_drops_float_noise() {
        assert_eq!(percent(0.7), "70");
        assert_eq!(percent(1.0), "100");
        assert_eq!(percent(0.655), "65.5");
    }
}
