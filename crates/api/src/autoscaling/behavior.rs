//! The scaling rules, shaped like the `behavior` field of a Kubernetes
//! `autoscaling/v2` HorizontalPodAutoscaler so that they can be handed to one.

use serde::{Deserialize, Serialize};

use crate::status::{FieldViolation, Status};

/// Maximum `periodSeconds` of a policy that the Kubernetes API accepts (30 minutes).
pub const MAX_PERIOD_SECONDS: u64 = 1800;
/// Maximum `stabilizationWindowSeconds` that the Kubernetes API accepts (1 hour).
pub const MAX_STABILIZATION_WINDOW_SECONDS: u64 = 3600;

/// The scaling rules of both directions, serialized as a Kubernetes
/// `HorizontalPodAutoscalerBehavior`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Behavior {
    pub scale_up: ScalingRules,
    pub scale_down: ScalingRules,
}

/// The rules of one direction, serialized as a Kubernetes `HPAScalingRules`.
///
/// Every field is required when parsing except `selectPolicy`, which defaults
/// to `Max` as in Kubernetes. A missing stabilization window is rejected
/// because its Kubernetes default differs by direction (0 s up, 300 s down).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScalingRules {
    pub policies: Vec<ScalingPolicy>,
    #[serde(default)]
    pub select_policy: SelectPolicy,
    /// Seconds of past recommendations considered before scaling in this
    /// direction. With 0, the count follows the recommendation at once.
    pub stabilization_window_seconds: u64,
}

/// One rate limit, serialized as a Kubernetes `HPAScalingPolicy`: at most
/// `value` pods or percent of change within any `period_seconds`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScalingPolicy {
    #[serde(rename = "type")]
    pub kind: PolicyKind,
    /// Pods or percent, as set by `kind`.
    pub value: u32,
    pub period_seconds: u64,
}

/// Whether a policy's value counts pods or a percentage of the pods at the
/// start of its period.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PolicyKind {
    Pods,
    Percent,
}

/// The choice among the policies of one direction.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum SelectPolicy {
    /// The policy that allows the largest change applies.
    #[default]
    Max,
    /// The policy that allows the smallest change applies.
    Min,
    /// No change in this direction, except to bring the count within the
    /// bounds and under the cluster's pod maximum.
    Disabled,
}

impl ScalingPolicy {
    pub fn pods(value: u32, period_seconds: u64) -> Self {
        ScalingPolicy {
            kind: PolicyKind::Pods,
            value,
            period_seconds,
        }
    }

    pub fn percent(value: u32, period_seconds: u64) -> Self {
        ScalingPolicy {
            kind: PolicyKind::Percent,
            value,
            period_seconds,
        }
    }
}

impl Default for Behavior {
    /// Returns the feature server rules. Scale up by the larger of 50% and 10 pods
    /// every 10 minutes, at once. Scale down by the smaller of 10% and 10 pods
    /// every 10 minutes, after demand has stayed lower for 5 minutes.
    fn default() -> Self {
        Behavior {
            scale_up: ScalingRules {
                policies: vec![
                    ScalingPolicy::percent(50, 600),
                    ScalingPolicy::pods(10, 600),
                ],
                select_policy: SelectPolicy::Max,
                stabilization_window_seconds: 0,
            },
            scale_down: ScalingRules {
                policies: vec![
                    ScalingPolicy::percent(10, 600),
                    ScalingPolicy::pods(10, 600),
                ],
                select_policy: SelectPolicy::Min,
                stabilization_window_seconds: 300,
            },
        }
    }
}

impl Behavior {
    /// Checks the rules against the limits the Kubernetes API enforces. Every
    /// problem found is reported at once, each naming its field, such as
    /// `behavior.scaleUp.policies[0].value`.
    pub fn validate(&self) -> Result<(), Status> {
        let mut violations = Vec::new();
        validate_rules("behavior.scaleUp", &self.scale_up, &mut violations);
        validate_rules("behavior.scaleDown", &self.scale_down, &mut violations);
        if violations.is_empty() {
            Ok(())
        } else {
            Err(Status::invalid_fields(violations))
        }
    }
}

fn validate_rules(path: &str, rules: &ScalingRules, violations: &mut Vec<FieldViolation>) {
    if rules.policies.is_empty() && rules.select_policy != SelectPolicy::Disabled {
        violations.push(FieldViolation::new(
            format!("{path}.policies"),
            format!(
                "{path}.policies must contain at least one policy unless {path}.selectPolicy is Disabled"
            ),
        ));
    }

    for (index, policy) in rules.policies.iter().enumerate() {
        let policy_path = format!("{path}.policies[{index}]");
        if policy.value == 0 {
            let field = format!("{policy_path}.value");
            let unit = match policy.kind {
                PolicyKind::Pods => "pod",
                PolicyKind::Percent => "percent",
            };
            violations.push(FieldViolation::new(
                &field,
                format!("{field} must be at least 1 {unit}, got 0"),
            ));
        }
        if policy.period_seconds == 0 || policy.period_seconds > MAX_PERIOD_SECONDS {
            let field = format!("{policy_path}.periodSeconds");
            violations.push(FieldViolation::new(
                &field,
                format!(
                    "{field} must be from 1 to {MAX_PERIOD_SECONDS} seconds (30 minutes), got {}",
                    policy.period_seconds
                ),
            ));
        }
    }

    if rules.stabilization_window_seconds > MAX_STABILIZATION_WINDOW_SECONDS {
        let field = format!("{path}.stabilizationWindowSeconds");
        violations.push(FieldViolation::new(
            &field,
            format!(
                "{field} must be at most {MAX_STABILIZATION_WINDOW_SECONDS} seconds (1 hour), got {}",
                rules.stabilization_window_seconds
            ),
        ));
    }
}
