//! Accounts and Access: roles, permissions, and the bodies of the account API.
//!
//! [`ROLE_PERMISSIONS`] is the only place that defines what a role may do; the
//! server checks permissions against it and the console shows it.

use serde::{Deserialize, Serialize};

use crate::status::FieldViolation;

/// An action the API guards.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    /// Read the feature server configuration and pod counts.
    ViewFeatureServerConfig,
    /// Change the provisioned count or the autoscaling configuration.
    ScaleFeatureServer,
    /// List users, service accounts and their roles.
    ViewAccounts,
    /// Create and delete accounts, issue and revoke keys, grant and revoke roles.
    ManageAccounts,
    /// Request feature vectors from the feature servers.
    ReadFeatures,
}

impl Permission {
    /// Returns the name used in API messages, such as `scale_feature_server`.
    pub fn as_str(self) -> &'static str {
        match self {
            Permission::ViewFeatureServerConfig => "view_feature_server_config",
            Permission::ScaleFeatureServer => "scale_feature_server",
            Permission::ViewAccounts => "view_accounts",
            Permission::ManageAccounts => "manage_accounts",
            Permission::ReadFeatures => "read_features",
        }
    }
}

/// A named set of permissions that can be granted to an account.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Viewer,
    Consumer,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Admin, Role::Viewer, Role::Consumer];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Viewer => "viewer",
            Role::Consumer => "consumer",
        }
    }

    pub fn permissions(self) -> &'static [Permission] {
        ROLE_PERMISSIONS
            .iter()
            .find(|(role, _)| *role == self)
            .map(|(_, permissions)| *permissions)
            .unwrap_or(&[])
    }

    pub fn description(self) -> &'static str {
        match self {
            Role::Admin => "Everything: scaling, and managing accounts, keys and roles",
            Role::Viewer => "Read only: the feature server configuration and the accounts",
            Role::Consumer => "Requests feature vectors from the feature servers",
        }
    }
}

impl std::str::FromStr for Role {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str() == text)
            .ok_or_else(|| {
                let names: Vec<&str> = Role::ALL.iter().map(|role| role.as_str()).collect();
                format!("unknown role \"{text}\"; the roles are {}", names.join(", "))
            })
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The permissions of each role.
pub const ROLE_PERMISSIONS: &[(Role, &[Permission])] = &[
    (
        Role::Admin,
        &[
            Permission::ViewFeatureServerConfig,
            Permission::ScaleFeatureServer,
            Permission::ViewAccounts,
            Permission::ManageAccounts,
            Permission::ReadFeatures,
        ],
    ),
    (
        Role::Viewer,
        &[Permission::ViewFeatureServerConfig, Permission::ViewAccounts],
    ),
    (Role::Consumer, &[Permission::ReadFeatures]),
];

/// A role and what it grants, as listed by `GET /api/v1/roles`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleInfo {
    pub name: Role,
    pub description: String,
    pub permissions: Vec<Permission>,
}

impl RoleInfo {
    pub fn all() -> Vec<RoleInfo> {
        Role::ALL
            .into_iter()
            .map(|role| RoleInfo {
                name: role,
                description: role.description().to_owned(),
                permissions: role.permissions().to_vec(),
            })
            .collect()
    }
}

/// Returns whether any of `roles` grants `permission`.
pub fn roles_grant(roles: &[Role], permission: Permission) -> bool {
    roles
        .iter()
        .any(|role| role.permissions().contains(&permission))
}

/// The kind of an account, as it appears in messages (`user alice`,
/// `serviceAccount ci-bot`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum AccountKind {
    User,
    ServiceAccount,
}

impl AccountKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AccountKind::User => "user",
            AccountKind::ServiceAccount => "serviceAccount",
        }
    }
}

/// The signed-in account, from `GET /api/v1/auth/me` and sign-in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Me {
    pub kind: AccountKind,
    pub name: String,
    pub roles: Vec<Role>,
    pub permissions: Vec<Permission>,
    /// Token to send in the `X-CSRF-Token` header of every state-changing
    /// request made with the session cookie. Absent for API keys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub csrf_token: Option<String>,
}

impl Me {
    pub fn can(&self, permission: Permission) -> bool {
        self.permissions.contains(&permission)
    }
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignInRequest {
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for SignInRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignInRequest")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// A user as listed by `GET /api/v1/users`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub name: String,
    pub roles: Vec<Role>,
    /// Creation time, RFC 3339 in UTC.
    pub created_at: String,
}

/// Body of `POST /api/v1/users`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateUserRequest {
    pub name: String,
    pub password: String,
    #[serde(default)]
    pub roles: Vec<Role>,
}

/// An API key's public part, as listed under its service account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiKeyInfo {
    pub id: i64,
    /// The first characters of the key, enough to recognize it.
    pub prefix: String,
    pub created_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<String>,
}

/// A service account as listed by `GET /api/v1/service-accounts`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceAccount {
    pub name: String,
    pub description: String,
    pub roles: Vec<Role>,
    pub keys: Vec<ApiKeyInfo>,
    pub created_at: String,
}

/// Body of `POST /api/v1/service-accounts`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateServiceAccountRequest {
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub roles: Vec<Role>,
}

/// A newly issued API key. The key itself appears in this response only.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IssuedApiKey {
    pub service_account: ServiceAccount,
    pub key_id: i64,
    pub api_key: String,
}

impl std::fmt::Debug for IssuedApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedApiKey")
            .field("service_account", &self.service_account)
            .field("key_id", &self.key_id)
            .field("api_key", &"<redacted>")
            .finish()
    }
}

/// Maximum length of an account name, in bytes.
pub const MAX_NAME_LEN: usize = 64;
/// Minimum length of a password, in characters.
pub const MIN_PASSWORD_LEN: usize = 8;

/// Checks an account name: 1 to 64 characters of lowercase ASCII letters,
/// digits, `-`, `_` and `.`, starting with a letter or digit.
pub fn validate_account_name(field: &str, name: &str) -> Result<(), FieldViolation> {
    let violation = |description: String| Err(FieldViolation::new(field, description));
    if name.is_empty() {
        return violation(format!("{field} is required"));
    }
    if name.len() > MAX_NAME_LEN {
        return violation(format!(
            "{field} must be at most {MAX_NAME_LEN} characters, got {}",
            name.len()
        ));
    }
    if !name.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit()) {
        return violation(format!(
            "{field} must start with a lowercase letter or a digit, got \"{name}\""
        ));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.')))
    {
        return violation(format!(
            "{field} may contain only lowercase letters, digits, '-', '_' and '.', got {bad:?} in \"{name}\""
        ));
    }
    Ok(())
}

/// Longest service account description, in characters.
pub const MAX_DESCRIPTION_LEN: usize = 200;

/// Checks a service account description's length.
pub fn validate_description(field: &str, description: &str) -> Result<(), FieldViolation> {
    let length = description.chars().count();
    if length > MAX_DESCRIPTION_LEN {
        return Err(FieldViolation::new(
            field,
            format!("{field} must be at most {MAX_DESCRIPTION_LEN} characters, got {length}"),
        ));
    }
    Ok(())
}

/// Checks a new password's length.
pub fn validate_password(field: &str, password: &str) -> Result<(), FieldViolation> {
    let length = password.chars().count();
    if length < MIN_PASSWORD_LEN {
        return Err(FieldViolation::new(
            field,
            format!("{field} must be at least {MIN_PASSWORD_LEN} characters, got {length}"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_table_grants() {
        let cases = [
            (Role::Admin, Permission::ScaleFeatureServer, true),
            (Role::Admin, Permission::ManageAccounts, true),
            (Role::Admin, Permission::ViewFeatureServerConfig, true),
            (Role::Viewer, Permission::ViewFeatureServerConfig, true),
            (Role::Viewer, Permission::ViewAccounts, true),
            (Role::Viewer, Permission::ScaleFeatureServer, false),
            (Role::Viewer, Permission::ManageAccounts, false),
            (Role::Viewer, Permission::ReadFeatures, false),
            (Role::Admin, Permission::ReadFeatures, true),
            (Role::Consumer, Permission::ReadFeatures, true),
            (Role::Consumer, Permission::ViewFeatureServerConfig, false),
            (Role::Consumer, Permission::ScaleFeatureServer, false),
        ];
        for (role, permission, expected) in cases {
            assert_eq!(
                roles_grant(&[role], permission),
                expected,
                "{role} / {permission:?}"
            );
        }
        assert!(!roles_grant(&[], Permission::ViewFeatureServerConfig));
    }

    #[test]
    fn account_name_rules() {
        let cases: &[(&str, Option<&str>)] = &[
            ("ci-bot", None),
            ("a", None),
            ("9lives_v2.0", None),
            ("", Some("name is required")),
            ("CI", Some("name must start with a lowercase letter or a digit, got \"CI\"")),
            ("-bot", Some("name must start with a lowercase letter or a digit, got \"-bot\"")),
            (
                "ci bot",
                Some("name may contain only lowercase letters, digits, '-', '_' and '.', got ' ' in \"ci bot\""),
            ),
        ];
        for (name, expected) in cases {
            let result = validate_account_name("name", name).err().map(|v| v.description);
            assert_eq!(result.as_deref(), *expected, "{name:?}");
        }
        let long = "a".repeat(65);
        assert_eq!(
            validate_account_name("name", &long).unwrap_err().description,
            "name must be at most 64 characters, got 65"
        );
    }

    #[test]
    fn role_parses_by_name() {
        assert_eq!("admin".parse::<Role>(), Ok(Role::Admin));
        assert_eq!(
            "root".parse::<Role>(),
            Err("unknown role \"root\"; the roles are admin, viewer, consumer".to_owned())
        );
    }

    #[test]
    fn issued_key_debug_redacts_key() {
        let issued = IssuedApiKey {
            service_account: ServiceAccount {
                name: "bot".into(),
                description: String::new(),
                roles: vec![],
                keys: vec![],
                created_at: String::new(),
            },
            key_id: 1,
            api_key: "hdrm_secret".into(),
        };
        assert!(!format!("{issued:?}").contains("hdrm_secret"));
    }
}
