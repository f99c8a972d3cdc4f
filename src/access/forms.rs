//! The forms that create a user and a service account. Names and passwords
//! are checked on every keystroke with the rules of the shared API crate.

use headroom_api::access::{
    CreateServiceAccountRequest, CreateUserRequest, Role, validate_account_name, validate_password,
};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;

use super::change::Change;
use crate::field::{Field, InputKind, TextField};

/// The role a new account starts with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RoleChoice {
    Viewer,
    Admin,
    Consumer,
    None,
}

impl RoleChoice {
    const ALL: [RoleChoice; 4] = [RoleChoice::Viewer, RoleChoice::Admin, RoleChoice::Consumer, RoleChoice::None];

    /// Returns the value of the choice's `<option>`, which is also its label.
    fn value(self) -> &'static str {
        match self {
            RoleChoice::Viewer => Role::Viewer.as_str(),
            RoleChoice::Admin => Role::Admin.as_str(),
            RoleChoice::Consumer => Role::Consumer.as_str(),
            RoleChoice::None => "none",
        }
    }

    fn from_value(value: &str) -> RoleChoice {
        RoleChoice::ALL
            .into_iter()
            .find(|choice| choice.value() == value)
            .unwrap_or(RoleChoice::Viewer)
    }

    fn roles(self) -> Vec<Role> {
        match self {
            RoleChoice::Viewer => vec![Role::Viewer],
            RoleChoice::Admin => vec![Role::Admin],
            RoleChoice::Consumer => vec![Role::Consumer],
            RoleChoice::None => Vec::new(),
        }
    }
}

#[component]
pub fn CreateUserForm(
    name: Field,
    password: Field,
    role: RwSignal<RoleChoice>,
    pending: Signal<bool>,
    request: Callback<Change>,
    on_edit: Callback<()>,
) -> impl IntoView {
    let name_error = Memo::new(move |_| {
        name.text.with(|text| {
            validate_account_name("name", text)
                .err()
                .map(|v| v.description)
        })
    });
    let password_error = Memo::new(move |_| {
        password.text.with(|text| {
            validate_password("password", text)
                .err()
                .map(|v| v.description)
        })
    });
    let on_submit = move |event: SubmitEvent| {
        event.prevent_default();
        if name_error.get_untracked().is_some() || password_error.get_untracked().is_some() {
            return;
        }
        request.run(Change::CreateUser(CreateUserRequest {
            name: name.text.get_untracked(),
            password: password.text.get_untracked(),
            roles: role.get_untracked().roles(),
        }));
    };

    let cannot_submit = Memo::new(move |_| {
        pending.get() || name_error.with(Option::is_some) || password_error.with(Option::is_some)
    });

    view! {
        <form
            id="create-user-form"
            class="create-form"
            aria-labelledby="create-user-heading"
            on:submit=on_submit
        >
            <h3 id="create-user-heading">"Create a user"</h3>
            <div class="field-row">
                <TextField
                    id="user-name"
                    label="Name"
                    field=name
                    invalid=name_error
                    disabled=false
                    kind=InputKind::Name
                    on_edit
                />
                <TextField
                    id="user-password"
                    label="Password"
                    field=password
                    invalid=password_error
                    disabled=false
                    kind=InputKind::NewPassword
                    on_edit
                />
                <RoleSelect id="user-role" role on_edit />
            </div>
            <button id="create-user" type="submit" class="primary" disabled=cannot_submit>
                "Create user"
            </button>
        </form>
    }
}

#[component]
pub fn CreateServiceAccountForm(
    name: Field,
    description: Field,
    role: RwSignal<RoleChoice>,
    pending: Signal<bool>,
    request: Callback<Change>,
    on_edit: Callback<()>,
) -> impl IntoView {
    let name_error = Memo::new(move |_| {
        name.text.with(|text| {
            validate_account_name("name", text)
                .err()
                .map(|v| v.description)
        })
    });
    let on_submit = move |event: SubmitEvent| {
        event.prevent_default();
        if name_error.get_untracked().is_some() {
            return;
        }
        request.run(Change::CreateServiceAccount(CreateServiceAccountRequest {
            name: name.text.get_untracked(),
            description: description.text.get_untracked().trim().to_owned(),
            roles: role.get_untracked().roles(),
        }));
    };

    let cannot_submit = Memo::new(move |_| pending.get() || name_error.with(Option::is_some));

    view! {
        <form
            id="create-sa-form"
            class="create-form"
            aria-labelledby="create-sa-heading"
            on:submit=on_submit
        >
            <h3 id="create-sa-heading">"Create a service account"</h3>
            <div class="field-row">
                <TextField
                    id="sa-name"
                    label="Name"
                    field=name
                    invalid=name_error
                    disabled=false
                    kind=InputKind::Name
                    on_edit
                />
                <TextField
                    id="sa-description"
                    label="Description (optional)"
                    field=description
                    invalid=Signal::stored(None::<String>)
                    disabled=false
                    on_edit
                />
                <RoleSelect id="sa-role" role on_edit />
            </div>
            <button id="create-sa" type="submit" class="primary" disabled=cannot_submit>
                "Create service account"
            </button>
            <p class="hint">
                "The new account's first API key is shown once, right after it is created."
            </p>
        </form>
    }
}

#[component]
fn RoleSelect(
    id: &'static str,
    role: RwSignal<RoleChoice>,
    on_edit: Callback<()>,
) -> impl IntoView {
    let on_change = move |event| {
        role.set(RoleChoice::from_value(&event_target_value(&event)));
        on_edit.run(());
    };

    let options = RoleChoice::ALL
        .into_iter()
        .map(|choice| {
            view! {
                <option value=choice.value() selected=move || role.get() == choice>
                    {choice.value()}
                </option>
            }
        })
        .collect_view();

    view! {
        <div class="field">
            <label for=id>"Role"</label>
            <select id=id name=id prop:value=move || role.get().value() on:change=on_change>
                {options}
            </select>
        </div>
    }
}
