//! The Accounts and Access page: users, service accounts, their roles and
//! API keys.
//!
//! Every change goes through one action, and the lists are resources keyed
//! on its version, so they reload after each change. Accounts without the
//! `manage_accounts` permission see the lists only.

mod change;
mod forms;
mod new_key;
mod tables;

use headroom_api::access::{IssuedApiKey, Permission, Role, ServiceAccount, User};
use leptos::prelude::*;

use crate::api::{self, ApiError};
use crate::confirm::ConfirmDialog;
use crate::feedback::{ErrorSlot, Outcome, OutcomeMessages};
use crate::field::{Field, place_violations};
use crate::session::{Session, use_session};
use change::{Change, Origin};
use forms::{CreateServiceAccountForm, CreateUserForm, RoleChoice};
use new_key::NewKeyPanel;
use tables::{ServiceAccountsTable, UsersTable};

/// The inputs of the two create forms. They belong to the page, so that the
/// server's errors about a request can be placed next to them.
#[derive(Clone, Copy)]
struct CreateInputs {
    user_name: Field,
    user_password: Field,
    user_role: RwSignal<RoleChoice>,
    service_account_name: Field,
    service_account_description: Field,
    service_account_role: RwSignal<RoleChoice>,
}

impl CreateInputs {
    fn new() -> CreateInputs {
        CreateInputs {
            user_name: Field::new(""),
            user_password: Field::new(""),
            user_role: RwSignal::new(RoleChoice::Viewer),
            service_account_name: Field::new(""),
            service_account_description: Field::new(""),
            service_account_role: RwSignal::new(RoleChoice::Viewer),
        }
    }

    /// Empties the form a successful change came from.
    fn reset(&self, origin: Origin) {
        match origin {
            Origin::CreateUserForm => {
                self.user_name.reset("");
                self.user_password.reset("");
                self.user_role.set(RoleChoice::Viewer);
            }
            Origin::CreateServiceAccountForm => {
                self.service_account_name.reset("");
                self.service_account_description.reset("");
                self.service_account_role.set(RoleChoice::Viewer);
            }
            Origin::Tables => {}
        }
    }

    /// Places the server's violations next to the inputs of the form a
    /// change came from. Returns whether every violation found its input.
    fn show_violations(&self, origin: Origin, error: &ApiError) -> bool {
        let inputs: &[(&str, Field)] = match origin {
            Origin::CreateUserForm => &[("name", self.user_name), ("password", self.user_password)],
            Origin::CreateServiceAccountForm => &[
                ("name", self.service_account_name),
                ("description", self.service_account_description),
            ],
            Origin::Tables => &[],
        };
        let violations = error.status().map(|status| status.field_violations());
        place_violations(inputs, violations.unwrap_or_default())
    }

    fn clear_server_errors(&self) {
        let fields = [
            self.user_name,
            self.user_password,
            self.service_account_name,
            self.service_account_description,
        ];
        for field in fields {
            field.server_error.set(None);
        }
    }
}

#[component]
pub fn Access() -> impl IntoView {
    let inputs = CreateInputs::new();
    let outcome = Outcome::new();
    let confirming = RwSignal::new(None::<Change>);
    let new_key = RwSignal::new(None::<IssuedApiKey>);

    let session = use_session();

    let change = Action::new_local(move |change: &Change| change.clone().send(session));
    let request = Callback::new(move |requested: Change| {
        outcome.clear();
        inputs.clear_server_errors();
        if requested.question().is_some() {
            confirming.set(Some(requested));
        } else {
            change.dispatch(requested);
        }
    });
    let on_answer = Callback::new(move |confirmed: bool| {
        let Some(requested) = confirming.get_untracked() else {
            return;
        };
        confirming.set(None);
        if confirmed {
            change.dispatch(requested);
        }
    });
    let on_edit = Callback::new(move |()| outcome.clear());

    let accounts = LocalResource::new(move || {
        change.version().track();
        fetch_accounts(session)
    });

    Effect::new(move |_| {
        let Some(sent) = change.value().get() else {
            return;
        };
        match sent.result {
            Ok(issued) => {
                inputs.reset(sent.origin);
                let from_table = sent.origin == Origin::Tables;
                if issued.is_some() {
                    new_key.set(issued);
                    new_key::focus_panel();
                } else if from_table {
                    // The button that made the change is redrawn with the
                    // list, which would drop the focus to the page's start.
                    new_key::focus_when_drawn("access-status");
                }
                outcome.succeed(sent.success);
            }
            Err(error) => {
                if !inputs.show_violations(sent.origin, &error) {
                    outcome.fail(error);
                }
            }
        }
    });

    // The account cannot change while this page is shown, because signing
    // in again goes through the sign-in page.
    let can_manage = untrack(|| session.can(Permission::ManageAccounts));
    let can_view = untrack(|| session.can(Permission::ViewAccounts));
    let pending = Signal::derive(move || change.pending().get());
    // The last lists that arrived, kept while a later reload fails.
    let last_accounts = Memo::new(move |previous: Option<&Option<Accounts>>| {
        let fetched = accounts.get().and_then(Result::ok);
        fetched.or_else(|| previous.cloned().flatten())
    });
    let users = Signal::derive(move || last_accounts.with(|a| a.as_ref().map(|a| a.users.clone())));
    let service_accounts = Signal::derive(move || {
        last_accounts.with(|a| a.as_ref().map(|a| a.service_accounts.clone()))
    });
    // Without view_accounts the lists are refused; the notice explains it.
    let loading = move || can_view && accounts.with(Option::is_none);
    let fetch_error = Signal::derive(move || {
        if can_view {
            accounts.get().and_then(Result::err)
        } else {
            None
        }
    });
    let question = Signal::derive(move || {
        confirming.with(|change| change.as_ref().and_then(Change::question))
    });

    view! {
        <h1>"Accounts and Access"</h1>
        {(!can_manage)
            .then(|| {
                view! {
                    <p id="read-only-notice" class="alert notice">
                        {if can_view {
                            "You have read-only access: you can see the accounts, but only an admin can change them."
                        } else {
                            "Your roles do not include seeing the accounts. An admin can grant you the viewer role here."
                        }}
                    </p>
                }
            })}
        <OutcomeMessages outcome error_id="access-error" status_id="access-status" />
        <NewKeyPanel new_key />
        <ErrorSlot id="accounts-error" error=fetch_error />
        {move || {
            loading().then(|| view! { <p class="loading" role="status">"Loading accounts…"</p> })
        }}

        <section class="panel" aria-labelledby="users-heading">
            <h2 id="users-heading">"Users"</h2>
            <UsersTable users can_manage pending request />
            {can_manage
                .then(|| {
                    view! {
                        <CreateUserForm
                            name=inputs.user_name
                            password=inputs.user_password
                            role=inputs.user_role
                            pending
                            request
                            on_edit
                        />
                    }
                })}
        </section>

        <section class="panel" aria-labelledby="service-accounts-heading">
            <h2 id="service-accounts-heading">"Service accounts"</h2>
            <p class="hint">"Programs call the API with a service account's API key."</p>
            <ServiceAccountsTable service_accounts can_manage pending request />
            {can_manage
                .then(|| {
                    view! {
                        <CreateServiceAccountForm
                            name=inputs.service_account_name
                            description=inputs.service_account_description
                            role=inputs.service_account_role
                            pending
                            request
                            on_edit
                        />
                    }
                })}
        </section>

        <section class="panel" aria-labelledby="roles-heading">
            <h2 id="roles-heading">"Roles"</h2>
            <dl class="role-list">
                {Role::ALL
                    .into_iter()
                    .map(|role| view! {
                        <dt>{role.as_str()}</dt>
                        <dd>{role.description()}</dd>
                    })
                    .collect_view()}
            </dl>
        </section>

        <ConfirmDialog question on_answer />
    }
}

/// The users and the service accounts. They are fetched together, so that
/// both tables reload after every change.
#[derive(Clone, PartialEq)]
struct Accounts {
    users: Vec<User>,
    service_accounts: Vec<ServiceAccount>,
}

async fn fetch_accounts(session: Session) -> Result<Accounts, ApiError> {
    let users = session.get(api::USERS_URL).await?;
    let service_accounts = session.get(api::SERVICE_ACCOUNTS_URL).await?;
    Ok(Accounts {
        users,
        service_accounts,
    })
}
