//! Accounts (users and service accounts), their role grants, API keys and
//! sessions. Secrets arrive here already digested or hashed.

use headroom_api::Status;
use headroom_api::access::{AccountKind, ApiKeyInfo, Role, ServiceAccount, User};
use rusqlite::{Connection, ErrorCode, OptionalExtension, params};

use crate::error::AppResult;

/// An account with its roles, as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    pub id: i64,
    pub kind: AccountKind,
    pub name: String,
    pub description: String,
    pub roles: Vec<Role>,
    pub created_at: String,
}

fn kind_column(kind: AccountKind) -> &'static str {
    kind.as_str()
}

/// Returns how messages name an account, such as `service account ci-bot`.
pub fn describe(kind: AccountKind, name: &str) -> String {
    match kind {
        AccountKind::User => format!("user {name}"),
        AccountKind::ServiceAccount => format!("service account {name}"),
    }
}

fn parse_kind(text: &str) -> AccountKind {
    if text == AccountKind::ServiceAccount.as_str() {
        AccountKind::ServiceAccount
    } else {
        AccountKind::User
    }
}

pub fn roles_of(connection: &Connection, account_id: i64) -> AppResult<Vec<Role>> {
    let mut statement =
        connection.prepare_cached("SELECT role FROM role_grants WHERE account_id = ?1 ORDER BY role")?;
    let names = statement
        .query_map([account_id], |row| row.get::<_, String>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    // A role name this binary does not define grants nothing.
    Ok(names.iter().filter_map(|name| name.parse().ok()).collect())
}

fn account_from_row(connection: &Connection, row: (i64, String, String, String, String)) -> AppResult<Account> {
    let (id, kind, name, description, created_at) = row;
    Ok(Account {
        id,
        kind: parse_kind(&kind),
        name,
        description,
        roles: roles_of(connection, id)?,
        created_at,
    })
}

pub fn find_account(connection: &Connection, kind: AccountKind, name: &str) -> AppResult<Account> {
    let row = connection
        .query_row(
            "SELECT id, kind, name, description, created_at FROM accounts WHERE kind = ?1 AND name = ?2",
            params![kind_column(kind), name],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?)),
        )
        .optional()?;
    match row {
        Some(row) => account_from_row(connection, row),
        None => Err(Status::not_found(format!("{} not found", describe(kind, name))).into()),
    }
}

pub fn find_account_by_id(connection: &Connection, id: i64) -> AppResult<Option<Account>> {
    let row = connection
        .query_row(
            "SELECT id, kind, name, description, created_at FROM accounts WHERE id = ?1",
            [id],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?)),
        )
        .optional()?;
    row.map(|row| account_from_row(connection, row)).transpose()
}

/// Creates an account with its roles. A taken name is an `ALREADY_EXISTS` error.
pub fn create_account(
    connection: &mut Connection,
    kind: AccountKind,
    name: &str,
    description: &str,
    password_hash: Option<&str>,
    roles: &[Role],
    now: &str,
) -> AppResult<Account> {
    let transaction = connection.transaction()?;
    let inserted = transaction.execute(
        "INSERT INTO accounts (kind, name, description, password_hash, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![kind_column(kind), name, description, password_hash, now],
    );
    if let Err(rusqlite::Error::SqliteFailure(failure, _)) = &inserted {
        if failure.code == ErrorCode::ConstraintViolation {
            return Err(Status::already_exists(format!(
                "{} already exists; choose another name",
                describe(kind, name)
            ))
            .into());
        }
    }
    inserted?;
    let id = transaction.last_insert_rowid();
    for role in roles {
        transaction.execute(
            "INSERT OR IGNORE INTO role_grants (account_id, role) VALUES (?1, ?2)",
            params![id, role.as_str()],
        )?;
    }
    transaction.commit()?;
    find_account(connection, kind, name)
}

fn count_user_admins(connection: &Connection) -> AppResult<i64> {
    Ok(connection.query_row(
        "SELECT COUNT(*) FROM accounts JOIN role_grants ON role_grants.account_id = accounts.id
         WHERE accounts.kind = 'user' AND role_grants.role = 'admin'",
        [],
        |row| row.get(0),
    )?)
}

/// Rejects a change that would leave no user with the admin role, since
/// nobody could then sign in to manage accounts.
fn ensure_not_last_admin(connection: &Connection, account: &Account, action: &str) -> AppResult<()> {
    if account.kind == AccountKind::User
        && account.roles.contains(&Role::Admin)
        && count_user_admins(connection)? <= 1
    {
        return Err(Status::failed_precondition(format!(
            "cannot {action} user {}: it is the last user with the admin role; grant admin to another user first",
            account.name
        ))
        .into());
    }
    Ok(())
}

pub fn grant_role(connection: &Connection, kind: AccountKind, name: &str, role: Role) -> AppResult<Account> {
    let account = find_account(connection, kind, name)?;
    connection.execute(
        "INSERT OR IGNORE INTO role_grants (account_id, role) VALUES (?1, ?2)",
        params![account.id, role.as_str()],
    )?;
    find_account(connection, kind, name)
}

pub fn revoke_role(connection: &Connection, kind: AccountKind, name: &str, role: Role) -> AppResult<Account> {
    let account = find_account(connection, kind, name)?;
    if role == Role::Admin {
        ensure_not_last_admin(connection, &account, "revoke admin from")?;
    }
    connection.execute(
        "DELETE FROM role_grants WHERE account_id = ?1 AND role = ?2",
        params![account.id, role.as_str()],
    )?;
    find_account(connection, kind, name)
}

/// Deletes an account with its grants, keys and sessions.
pub fn delete_account(connection: &Connection, kind: AccountKind, name: &str) -> AppResult<()> {
    let account = find_account(connection, kind, name)?;
    ensure_not_last_admin(connection, &account, "delete")?;
    connection.execute("DELETE FROM accounts WHERE id = ?1", [account.id])?;
    Ok(())
}

pub fn user_count(connection: &Connection) -> AppResult<i64> {
    Ok(connection.query_row("SELECT COUNT(*) FROM accounts WHERE kind = 'user'", [], |row| row.get(0))?)
}

/// Returns the user's id and password hash, if the user exists and has a password.
pub fn password_hash(connection: &Connection, name: &str) -> AppResult<Option<(i64, String)>> {
    Ok(connection
        .query_row(
            "SELECT id, password_hash FROM accounts WHERE kind = 'user' AND name = ?1 AND password_hash IS NOT NULL",
            [name],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .optional()?)
}

/// Replaces a user's password hash and ends all the user's sessions.
pub fn set_password(connection: &mut Connection, name: &str, hash: &str) -> AppResult<()> {
    let account = find_account(connection, AccountKind::User, name)?;
    let transaction = connection.transaction()?;
    transaction.execute(
        "UPDATE accounts SET password_hash = ?1 WHERE id = ?2",
        params![hash, account.id],
    )?;
    transaction.execute("DELETE FROM sessions WHERE account_id = ?1", [account.id])?;
    transaction.commit()?;
    Ok(())
}

pub fn list_users(connection: &Connection) -> AppResult<Vec<User>> {
    list_accounts(connection, AccountKind::User)?
        .into_iter()
        .map(|account| {
            Ok(User {
                name: account.name,
                roles: account.roles,
                created_at: account.created_at,
            })
        })
        .collect()
}

pub fn list_service_accounts(connection: &Connection) -> AppResult<Vec<ServiceAccount>> {
    list_accounts(connection, AccountKind::ServiceAccount)?
        .into_iter()
        .map(|account| service_account_view(connection, account))
        .collect()
}

pub fn service_account_view(connection: &Connection, account: Account) -> AppResult<ServiceAccount> {
    Ok(ServiceAccount {
        keys: list_keys(connection, account.id)?,
        name: account.name,
        description: account.description,
        roles: account.roles,
        created_at: account.created_at,
    })
}

fn list_accounts(connection: &Connection, kind: AccountKind) -> AppResult<Vec<Account>> {
    let mut statement = connection.prepare_cached(
        "SELECT id, kind, name, description, created_at FROM accounts WHERE kind = ?1 ORDER BY name",
    )?;
    let rows = statement
        .query_map([kind_column(kind)], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    rows.into_iter()
        .map(|row| account_from_row(connection, row))
        .collect()
}

fn list_keys(connection: &Connection, account_id: i64) -> AppResult<Vec<ApiKeyInfo>> {
    let mut statement = connection.prepare_cached(
        "SELECT id, prefix, created_at, revoked_at FROM api_keys WHERE account_id = ?1 ORDER BY id",
    )?;
    let keys = statement
        .query_map([account_id], |row| {
            Ok(ApiKeyInfo {
                id: row.get(0)?,
                prefix: row.get(1)?,
                created_at: row.get(2)?,
                revoked_at: row.get(3)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(keys)
}

/// Stores a new key's digest for a service account and returns the key's id.
pub fn insert_api_key(
    connection: &Connection,
    account_id: i64,
    digest: &str,
    prefix: &str,
    now: &str,
) -> AppResult<i64> {
    connection.execute(
        "INSERT INTO api_keys (account_id, key_digest, prefix, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![account_id, digest, prefix, now],
    )?;
    Ok(connection.last_insert_rowid())
}

pub fn revoke_api_key(connection: &Connection, name: &str, key_id: i64, now: &str) -> AppResult<()> {
    let account = find_account(connection, AccountKind::ServiceAccount, name)?;
    let revoked_at: Option<Option<String>> = connection
        .query_row(
            "SELECT revoked_at FROM api_keys WHERE id = ?1 AND account_id = ?2",
            params![key_id, account.id],
            |row| row.get(0),
        )
        .optional()?;
    match revoked_at {
        None => Err(Status::not_found(format!("service account {name} has no API key with id {key_id}")).into()),
        Some(Some(_)) => Ok(()),
        Some(None) => {
            connection.execute(
                "UPDATE api_keys SET revoked_at = ?1 WHERE id = ?2",
                params![now, key_id],
            )?;
            Ok(())
        }
    }
}

/// The account a presented API key belongs to, or why there is none.
pub enum KeyLookup {
    Active(Account),
    Revoked,
    Unknown,
}

pub fn find_by_api_key(connection: &Connection, digest: &str) -> AppResult<KeyLookup> {
    let row: Option<(i64, Option<String>)> = connection
        .prepare_cached("SELECT account_id, revoked_at FROM api_keys WHERE key_digest = ?1")?
        .query_row([digest], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?;
    match row {
        None => Ok(KeyLookup::Unknown),
        Some((_, Some(_))) => Ok(KeyLookup::Revoked),
        Some((account_id, None)) => match find_account_by_id(connection, account_id)? {
            Some(account) => Ok(KeyLookup::Active(account)),
            None => Ok(KeyLookup::Unknown),
        },
    }
}

/// Stores a new session and deletes the expired ones.
pub fn insert_session(
    connection: &Connection,
    token_digest: &str,
    account_id: i64,
    csrf_token: &str,
    expires_at: i64,
    now: i64,
) -> AppResult<()> {
    connection.execute("DELETE FROM sessions WHERE expires_at <= ?1", [now])?;
    connection.execute(
        "INSERT INTO sessions (token_digest, account_id, csrf_token, expires_at) VALUES (?1, ?2, ?3, ?4)",
        params![token_digest, account_id, csrf_token, expires_at],
    )?;
    Ok(())
}

/// Returns the account and CSRF token of an unexpired session.
pub fn find_session(connection: &Connection, token_digest: &str, now: i64) -> AppResult<Option<(Account, String)>> {
    let row: Option<(i64, String)> = connection
        .prepare_cached("SELECT account_id, csrf_token FROM sessions WHERE token_digest = ?1 AND expires_at > ?2")?
        .query_row(params![token_digest, now], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?;
    let Some((account_id, csrf_token)) = row else {
        return Ok(None);
    };
    Ok(find_account_by_id(connection, account_id)?.map(|account| (account, csrf_token)))
}

pub fn delete_session(connection: &Connection, token_digest: &str) -> AppResult<()> {
    connection.execute("DELETE FROM sessions WHERE token_digest = ?1", [token_digest])?;
    Ok(())
}
