//! The tables of users and service accounts, with a button per action for
//! accounts that may manage them.

use headroom_api::access::{AccountKind, ApiKeyInfo, Role, ServiceAccount, User};
use leptos::prelude::*;

use super::change::{Account, Change};
use crate::shell::roles_text;

#[component]
pub fn UsersTable(
    /// The users, or `None` until they have arrived.
    users: Signal<Option<Vec<User>>>,
    can_manage: bool,
    pending: Signal<bool>,
    request: Callback<Change>,
) -> impl IntoView {
    let rows = move || users.get().unwrap_or_default();

    view! {
        <table id="users" class="accounts">
            <thead>
                <tr>
                    <th scope="col">"Name"</th>
                    <th scope="col">"Roles"</th>
                    <th scope="col">"Created"</th>
                    {can_manage.then(|| view! { <th scope="col">"Actions"</th> })}
                </tr>
            </thead>
            <tbody>
                {move || {
                    rows()
                        .into_iter()
                        .map(|user| view! { <UserRow user can_manage pending request /> })
                        .collect_view()
                }}
            </tbody>
        </table>
    }
}

#[component]
fn UserRow(
    user: User,
    can_manage: bool,
    pending: Signal<bool>,
    request: Callback<Change>,
) -> impl IntoView {
    let account = Account {
        kind: AccountKind::User,
        name: user.name.clone(),
    };
    let is_admin = user.roles.contains(&Role::Admin);
    let row_name = user.name.clone();

    view! {
        <tr data-name=row_name>
            <th scope="row" class="name">{user.name}</th>
            <td class="roles">{roles_text(&user.roles)}</td>
            <td class="created">
                <CreatedAt timestamp=user.created_at />
            </td>
            {can_manage
                .then(|| {
                    view! {
                        <td class="actions">
                            <AccountActions account is_admin pending request />
                        </td>
                    }
                })}
        </tr>
    }
}

#[component]
pub fn ServiceAccountsTable(
    /// The service accounts, or `None` until they have arrived.
    service_accounts: Signal<Option<Vec<ServiceAccount>>>,
    can_manage: bool,
    pending: Signal<bool>,
    request: Callback<Change>,
) -> impl IntoView {
    let rows = move || service_accounts.get().unwrap_or_default();
    let empty = Memo::new(move |_| {
        service_accounts.with(|list| matches!(list, Some(list) if list.is_empty()))
    });

    view! {
        <table id="service-accounts" class="accounts">
            <thead>
                <tr>
                    <th scope="col">"Name"</th>
                    <th scope="col">"Description"</th>
                    <th scope="col">"Roles"</th>
                    <th scope="col">"Active API keys"</th>
                    <th scope="col">"Created"</th>
                    {can_manage.then(|| view! { <th scope="col">"Actions"</th> })}
                </tr>
            </thead>
            <tbody>
                {move || {
                    rows()
                        .into_iter()
                        .map(|service_account| {
                            view! {
                                <ServiceAccountRow service_account can_manage pending request />
                            }
                        })
                        .collect_view()
                }}
            </tbody>
        </table>
        {move || empty.get().then(|| view! { <p class="empty">"No service accounts yet."</p> })}
    }
}

#[component]
fn ServiceAccountRow(
    service_account: ServiceAccount,
    can_manage: bool,
    pending: Signal<bool>,
    request: Callback<Change>,
) -> impl IntoView {
    let account = Account {
        kind: AccountKind::ServiceAccount,
        name: service_account.name.clone(),
    };
    let is_admin = service_account.roles.contains(&Role::Admin);
    let active_keys: Vec<ApiKeyInfo> = service_account
        .keys
        .into_iter()
        .filter(|key| key.revoked_at.is_none())
        .collect();
    let row_name = service_account.name.clone();
    let key_owner = service_account.name.clone();

    view! {
        <tr data-name=row_name>
            <th scope="row" class="name">{service_account.name}</th>
            <td class="description">{service_account.description}</td>
            <td class="roles">{roles_text(&service_account.roles)}</td>
            <td class="keys">
                <KeyList service_account=key_owner keys=active_keys can_manage pending request />
            </td>
            <td class="created">
                <CreatedAt timestamp=service_account.created_at />
            </td>
            {can_manage
                .then(|| {
                    view! {
                        <td class="actions">
                            <AccountActions account is_admin pending request />
                        </td>
                    }
                })}
        </tr>
    }
}

/// Renders the active keys of a service account, each with a button that
/// revokes it.
#[component]
fn KeyList(
    service_account: String,
    keys: Vec<ApiKeyInfo>,
    can_manage: bool,
    pending: Signal<bool>,
    request: Callback<Change>,
) -> impl IntoView {
    let none = keys
        .is_empty()
        .then(|| view! { <span class="none">"none"</span> });

    let items = keys
        .into_iter()
        .map(|key| {
            let change = Change::RevokeKey {
                service_account: service_account.clone(),
                key_id: key.id,
                prefix: key.prefix.clone(),
            };
            let label = format!("Revoke key {}… of {service_account}", key.prefix);
            let revoke = can_manage.then(|| {
                view! {
                        <button
                            type="button"
                            class="revoke-key small"
                            aria-label=label
                            disabled=pending
                            on:click=move |_| request.run(change.clone())
                        >
                            "Revoke"
                        </button>
                }
            });
            view! {
                <li data-key-id=key.id>
                    <code class="key-prefix">{format!("{}…", key.prefix)}</code>
                    " "
                    <CreatedAt timestamp=key.created_at />
                    " "
                    {revoke}
                </li>
            }
        })
        .collect_view();

    view! {
        {none}
        <ul class="key-list">{items}</ul>
    }
}

/// Renders the buttons of one account: grant or revoke admin, issue a key
/// (service accounts only) and delete.
#[component]
fn AccountActions(
    account: Account,
    is_admin: bool,
    pending: Signal<bool>,
    request: Callback<Change>,
) -> impl IntoView {
    let name = account.name.clone();
    let role_change = if is_admin {
        Change::RevokeAdmin(account.clone())
    } else {
        Change::GrantAdmin(account.clone())
    };
    let (role_class, role_text) = if is_admin {
        ("revoke-admin", "Revoke admin")
    } else {
        ("grant-admin", "Grant admin")
    };
    let issue_key = (account.kind == AccountKind::ServiceAccount).then(|| {
        let change = Change::IssueKey {
            service_account: name.clone(),
        };
        view! {
            <button
                type="button"
                class="issue-key small"
                aria-label=format!("New key for {name}")
                disabled=pending
                on:click=move |_| request.run(change.clone())
            >
                "New key"
            </button>
        }
    });
    let delete = Change::Delete(account);

    view! {
        <div class="row-actions">
            <button
                type="button"
                class=format!("{role_class} small")
                aria-label=format!("{role_text} for {name}")
                disabled=pending
                on:click=move |_| request.run(role_change.clone())
            >
                {role_text}
            </button>
            {issue_key}
            <button
                type="button"
                class="delete-account small danger"
                aria-label=format!("Delete {name}")
                disabled=pending
                on:click=move |_| request.run(delete.clone())
            >
                "Delete"
            </button>
        </div>
    }
}

/// Shows the date of an RFC 3339 timestamp, with the full timestamp as a tooltip.
#[component]
fn CreatedAt(timestamp: String) -> impl IntoView {
    let date = timestamp.get(..10).unwrap_or(&timestamp).to_owned();
    view! {
        <time datetime=timestamp.clone() title=timestamp>
            {date}
        </time>
    }
}
