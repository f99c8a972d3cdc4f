//! The changes the Accounts and Access page can make, how each is sent, and
//! how each is described to the user.

use headroom_api::access::{
    AccountKind, CreateServiceAccountRequest, CreateUserRequest, IssuedApiKey, Role,
};
use serde::de::IgnoredAny;

use crate::api::{self, ApiError, Method, path_segment};
use crate::confirm::Question;
use crate::session::Session;

/// A user or a service account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    pub kind: AccountKind,
    pub name: String,
}

impl Account {
    fn url(&self) -> String {
        let collection = match self.kind {
            AccountKind::User => api::USERS_URL,
            AccountKind::ServiceAccount => api::SERVICE_ACCOUNTS_URL,
        };
        format!("{collection}/{}", path_segment(&self.name))
    }

    fn admin_role_url(&self) -> String {
        format!("{}/roles/{}", self.url(), Role::Admin.as_str())
    }

    /// Names the account in a sentence, such as "user alice".
    fn describe(&self) -> String {
        match self.kind {
            AccountKind::User => format!("user {}", self.name),
            AccountKind::ServiceAccount => format!("service account {}", self.name),
        }
    }
}

/// One change to the accounts. It contains a new user's password until sent,
/// so it deliberately has no `Debug`.
#[derive(Clone)]
pub enum Change {
    CreateUser(CreateUserRequest),
    CreateServiceAccount(CreateServiceAccountRequest),
    GrantAdmin(Account),
    RevokeAdmin(Account),
    Delete(Account),
    IssueKey {
        service_account: String,
    },
    RevokeKey {
        service_account: String,
        key_id: i64,
        prefix: String,
    },
}

/// The form or table a change came from, so that its errors go next to the
/// right inputs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    CreateUserForm,
    CreateServiceAccountForm,
    Tables,
}

/// A change that was sent and what came of it.
#[derive(Clone)]
pub struct Sent {
    pub origin: Origin,
    /// The sentence to show when the change succeeded.
    pub success: String,
    /// The new API key, for changes that issue one.
    pub result: Result<Option<IssuedApiKey>, ApiError>,
}

impl Change {
    pub fn origin(&self) -> Origin {
        match self {
            Change::CreateUser(_) => Origin::CreateUserForm,
            Change::CreateServiceAccount(_) => Origin::CreateServiceAccountForm,
            _ => Origin::Tables,
        }
    }

    /// Returns the question to ask before sending a change that takes away
    /// access, or `None` when the change needs no confirmation.
    pub fn question(&self) -> Option<Question> {
        let question = match self {
            Change::RevokeAdmin(account) => Question {
                title: "Revoke admin?".to_owned(),
                message: format!(
                    "Revoke the admin role from {}? It can no longer scale the feature servers or manage accounts.",
                    account.describe()
                ),
                confirm_label: "Revoke admin",
            },
            Change::Delete(account) => {
                let consequence = match account.kind {
                    AccountKind::User => "It can no longer sign in.",
                    AccountKind::ServiceAccount => "Its API keys stop working.",
                };
                Question {
                    title: "Delete account?".to_owned(),
                    message: format!(
                        "Delete {}? {consequence} This cannot be undone.",
                        account.describe()
                    ),
                    confirm_label: "Delete",
                }
            }
            Change::RevokeKey {
                service_account,
                prefix,
                ..
            } => Question {
                title: "Revoke API key?".to_owned(),
                message: format!(
                    "Revoke the key {prefix}… of service account {service_account}? Clients that use it are rejected from then on. This cannot be undone."
                ),
                confirm_label: "Revoke key",
            },
            _ => return None,
        };
        Some(question)
    }

    fn success_message(&self) -> String {
        match self {
            Change::CreateUser(request) => format!("Created user {}.", request.name),
            Change::CreateServiceAccount(request) => {
                format!("Created service account {}.", request.name)
            }
            Change::GrantAdmin(account) => format!("Granted admin to {}.", account.describe()),
            Change::RevokeAdmin(account) => format!("Revoked admin from {}.", account.describe()),
            Change::Delete(account) => format!("Deleted {}.", account.describe()),
            Change::IssueKey { service_account } => {
                format!("Issued a new key for service account {service_account}.")
            }
            Change::RevokeKey {
                service_account,
                prefix,
                ..
            } => format!("Revoked the key {prefix}… of service account {service_account}."),
        }
    }

    /// Sends the change. Returns the new API key of changes that issue one.
    pub async fn send(self, session: Session) -> Sent {
        let origin = self.origin();
        let success = self.success_message();
        let result = match self {
            Change::CreateUser(request) => {
                let body = serde_json::to_string(&request).ok();
                session
                    .send::<IgnoredAny>(Method::Post, api::USERS_URL, body)
                    .await
                    .map(|_| None)
            }
            Change::CreateServiceAccount(request) => {
                let body = serde_json::to_string(&request).ok();
                session
                    .send::<IssuedApiKey>(Method::Post, api::SERVICE_ACCOUNTS_URL, body)
                    .await
                    .map(Some)
            }
            Change::GrantAdmin(account) => {
                let url = account.admin_role_url();
                send_without_key(session, Method::Put, &url).await
            }
            Change::RevokeAdmin(account) => {
                let url = account.admin_role_url();
                send_without_key(session, Method::Delete, &url).await
            }
            Change::Delete(account) => {
                send_without_key(session, Method::Delete, &account.url()).await
            }
            Change::IssueKey { service_account } => {
                let url = format!(
                    "{}/{}/keys",
                    api::SERVICE_ACCOUNTS_URL,
                    path_segment(&service_account)
                );
                session
                    .send::<IssuedApiKey>(Method::Post, &url, None)
                    .await
                    .map(Some)
            }
            Change::RevokeKey {
                service_account,
                key_id,
                ..
            } => {
                let url = format!(
                    "{}/{}/keys/{key_id}",
                    api::SERVICE_ACCOUNTS_URL,
                    path_segment(&service_account)
                );
                send_without_key(session, Method::Delete, &url).await
            }
        };
        Sent {
            origin,
            success,
            result,
        }
    }
}

async fn send_without_key(
    session: Session,
    method: Method,
    url: &str,
) -> Result<Option<IssuedApiKey>, ApiError> {
    session
        .send::<IgnoredAny>(method, url, None)
        .await
        .map(|_| None)
}
