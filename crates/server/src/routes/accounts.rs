//! Accounts and Access: users, service accounts, API keys and role grants.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use headroom_api::access::{
    AccountKind, CreateServiceAccountRequest, CreateUserRequest, IssuedApiKey, Permission, RoleInfo,
    ServiceAccount, User, validate_account_name, validate_description, validate_password,
};
use headroom_api::{FieldViolation, Status};

use super::{JsonBody, parse_role};
use crate::app::AppState;
use crate::auth::Principal;
use crate::clock::rfc3339;
use crate::error::{AppError, AppResult};
use crate::secrets::{ApiKey, Password};
use crate::store::accounts::{self, Account};

pub async fn list_roles(principal: Principal) -> AppResult<Json<Vec<RoleInfo>>> {
    principal.require(Permission::ViewAccounts)?;

    Ok(Json(RoleInfo::all()))
}

pub async fn list_users(State(state): State<AppState>, principal: Principal) -> AppResult<Json<Vec<User>>> {
    principal.require(Permission::ViewAccounts)?;

    let users = state.store.run(|connection| accounts::list_users(connection)).await?;
    Ok(Json(users))
}

pub async fn create_user(
    State(state): State<AppState>,
    principal: Principal,
    JsonBody(request): JsonBody<CreateUserRequest>,
) -> AppResult<(StatusCode, Json<User>)> {
    principal.require(Permission::ManageAccounts)?;

    let violations: Vec<FieldViolation> = [
        validate_account_name("name", &request.name).err(),
        validate_password("password", &request.password).err(),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !violations.is_empty() {
        return Err(Status::invalid_fields(violations).into());
    }

    let password = Password::new(request.password);
    let hash = tokio::task::spawn_blocking(move || password.hash())
        .await
        .map_err(|error| AppError::Internal(anyhow::anyhow!("password hashing failed: {error}")))?
        .map_err(|error| AppError::Internal(anyhow::anyhow!("password hashing failed: {error}")))?;
    let now = rfc3339(state.clock.now());
    let (name, roles) = (request.name.clone(), request.roles.clone());
    let account = state
        .store
        .run(move |connection| {
            accounts::create_account(connection, AccountKind::User, &name, "", Some(&hash), &roles, &now)
        })
        .await?;

    tracing::info!(by = principal.label(), user = account.name, "user created");
    Ok((StatusCode::CREATED, Json(user_view(account))))
}

pub async fn delete_user(
    State(state): State<AppState>,
    principal: Principal,
    Path(name): Path<String>,
) -> AppResult<StatusCode> {
    principal.require(Permission::ManageAccounts)?;
    if principal.is_user(&name) {
        return Err(Status::failed_precondition(
            "you cannot delete your own account; another admin can delete it",
        )
        .into());
    }

    let deleted = name.clone();
    state
        .store
        .run(move |connection| accounts::delete_account(connection, AccountKind::User, &deleted))
        .await?;

    tracing::info!(by = principal.label(), user = name, "user deleted");
    Ok(StatusCode::NO_CONTENT)
}

pub async fn grant_user_role(
    State(state): State<AppState>,
    principal: Principal,
    Path((name, role)): Path<(String, String)>,
) -> AppResult<Json<User>> {
    change_role(&state, &principal, AccountKind::User, name, &role, true)
        .await
        .map(|account| Json(user_view(account)))
}

pub async fn revoke_user_role(
    State(state): State<AppState>,
    principal: Principal,
    Path((name, role)): Path<(String, String)>,
) -> AppResult<Json<User>> {
    change_role(&state, &principal, AccountKind::User, name, &role, false)
        .await
        .map(|account| Json(user_view(account)))
}

pub async fn list_service_accounts(
    State(state): State<AppState>,
    principal: Principal,
) -> AppResult<Json<Vec<ServiceAccount>>> {
    principal.require(Permission::ViewAccounts)?;

    let service_accounts = state
        .store
        .run(|connection| accounts::list_service_accounts(connection))
        .await?;
    Ok(Json(service_accounts))
}

pub async fn create_service_account(
    State(state): State<AppState>,
    principal: Principal,
    JsonBody(request): JsonBody<CreateServiceAccountRequest>,
) -> AppResult<(StatusCode, Json<IssuedApiKey>)> {
    principal.require(Permission::ManageAccounts)?;

    let violations: Vec<FieldViolation> = [
        validate_account_name("name", &request.name).err(),
        validate_description("description", &request.description).err(),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !violations.is_empty() {
        return Err(Status::invalid_fields(violations).into());
    }

    let issued = create_service_account_with_key(
        &state.store,
        request.name,
        request.description,
        request.roles,
        rfc3339(state.clock.now()),
    )
    .await?;

    tracing::info!(
        by = principal.label(),
        service_account = issued.service_account.name,
        key_id = issued.key_id,
        "service account created"
    );
    Ok((StatusCode::CREATED, Json(issued)))
}

/// Creates a service account and its first API key, in one transaction.
pub async fn create_service_account_with_key(
    store: &crate::store::Store,
    name: String,
    description: String,
    roles: Vec<headroom_api::access::Role>,
    now: String,
) -> AppResult<IssuedApiKey> {
    let key = ApiKey::generate();
    let (digest, prefix) = (key.digest(), key.visible_prefix());
    let (key_id, service_account) = store
        .run(move |connection| {
            let account = accounts::create_account(
                connection,
                AccountKind::ServiceAccount,
                &name,
                &description,
                None,
                &roles,
                &now,
            )?;
            let key_id = accounts::insert_api_key(connection, account.id, &digest, &prefix, &now)?;
            Ok((key_id, accounts::service_account_view(connection, account)?))
        })
        .await?;
    Ok(IssuedApiKey {
        service_account,
        key_id,
        api_key: key.expose().to_owned(),
    })
}

pub async fn delete_service_account(
    State(state): State<AppState>,
    principal: Principal,
    Path(name): Path<String>,
) -> AppResult<StatusCode> {
    principal.require(Permission::ManageAccounts)?;

    let deleted = name.clone();
    state
        .store
        .run(move |connection| accounts::delete_account(connection, AccountKind::ServiceAccount, &deleted))
        .await?;

    tracing::info!(by = principal.label(), service_account = name, "service account deleted");
    Ok(StatusCode::NO_CONTENT)
}

pub async fn issue_key(
    State(state): State<AppState>,
    principal: Principal,
    Path(name): Path<String>,
) -> AppResult<(StatusCode, Json<IssuedApiKey>)> {
    principal.require(Permission::ManageAccounts)?;

    let key = ApiKey::generate();
    let (digest, prefix) = (key.digest(), key.visible_prefix());
    let now = rfc3339(state.clock.now());
    let (key_id, service_account) = state
        .store
        .run(move |connection| {
            let account = accounts::find_account(connection, AccountKind::ServiceAccount, &name)?;
            let key_id = accounts::insert_api_key(connection, account.id, &digest, &prefix, &now)?;
            let account = accounts::find_account(connection, AccountKind::ServiceAccount, &name)?;
            Ok((key_id, accounts::service_account_view(connection, account)?))
        })
        .await?;

    tracing::info!(by = principal.label(), service_account = service_account.name, key_id, "API key issued");
    Ok((
        StatusCode::CREATED,
        Json(IssuedApiKey {
            service_account,
            key_id,
            api_key: key.expose().to_owned(),
        }),
    ))
}

pub async fn revoke_key(
    State(state): State<AppState>,
    principal: Principal,
    Path((name, key_id)): Path<(String, String)>,
) -> AppResult<StatusCode> {
    principal.require(Permission::ManageAccounts)?;
    let key_id: i64 = key_id.parse().map_err(|_| {
        Status::invalid_field("id", format!("key id must be a whole number, got \"{key_id}\""))
    })?;

    let now = rfc3339(state.clock.now());
    let account_name = name.clone();
    state
        .store
        .run(move |connection| accounts::revoke_api_key(connection, &account_name, key_id, &now))
        .await?;

    tracing::info!(by = principal.label(), service_account = name, key_id, "API key revoked");
    Ok(StatusCode::NO_CONTENT)
}

pub async fn grant_service_account_role(
    State(state): State<AppState>,
    principal: Principal,
    Path((name, role)): Path<(String, String)>,
) -> AppResult<Json<ServiceAccount>> {
    let account = change_role(&state, &principal, AccountKind::ServiceAccount, name, &role, true).await?;
    service_account_json(&state, account).await
}

pub async fn revoke_service_account_role(
    State(state): State<AppState>,
    principal: Principal,
    Path((name, role)): Path<(String, String)>,
) -> AppResult<Json<ServiceAccount>> {
    let account = change_role(&state, &principal, AccountKind::ServiceAccount, name, &role, false).await?;
    service_account_json(&state, account).await
}

async fn change_role(
    state: &AppState,
    principal: &Principal,
    kind: AccountKind,
    name: String,
    role: &str,
    grant: bool,
) -> AppResult<Account> {
    principal.require(Permission::ManageAccounts)?;
    let role = parse_role(role)?;

    let account = state
        .store
        .run(move |connection| {
            if grant {
                accounts::grant_role(connection, kind, &name, role)
            } else {
                accounts::revoke_role(connection, kind, &name, role)
            }
        })
        .await?;

    let action = if grant { "role granted" } else { "role revoked" };
    tracing::info!(by = principal.label(), account = account.name, role = role.as_str(), "{action}");
    Ok(account)
}

async fn service_account_json(state: &AppState, account: Account) -> AppResult<Json<ServiceAccount>> {
    let view = state
        .store
        .run(move |connection| accounts::service_account_view(connection, account))
        .await?;
    Ok(Json(view))
}

fn user_view(account: Account) -> User {
    User {
        name: account.name,
        roles: account.roles,
        created_at: account.created_at,
    }
}
