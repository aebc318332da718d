//! Login accounts, sessions, API tokens and the login throttle.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rand::RngCore;
use rand::rngs::OsRng;
use serasi_domain::user::Role;
use serasi_domain::{ApiTokenId, EmployeeId, UserId};
use serde::Serialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::error::unique_as;
use crate::{Store, StoreError, both_backends, now_ms, rd, tx};

/// A login account. The password hash and TOTP secret never leave the
/// store except through the methods that need them.
#[derive(Clone, Serialize)]
pub struct User {
    pub id: UserId,
    pub username: String,
    pub role: Role,
    pub employee_id: Option<EmployeeId>,
    pub locale: String,
    pub totp_enabled: bool,
    /// Set for one-time passwords: the user must choose a new password
    /// before doing anything else.
    pub must_change_password: bool,
    pub is_demo: bool,
    #[serde(skip)]
    password_hash: String,
    #[serde(skip)]
    totp_secret: Option<String>,
    #[serde(skip)]
    locked_until: Option<i64>,
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("username", &self.username)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

impl User {
    /// Returns the TOTP secret (base32), if the second factor is on.
    pub fn totp_secret(&self) -> Option<&str> {
        self.totp_secret.as_deref()
    }

    /// Returns the end of the account's lockout (epoch ms), if it is
    /// locked after too many wrong passwords.
    pub fn locked_until(&self) -> Option<i64> {
        self.locked_until
    }
}

/// Fields of a new account; the password is hashed before storing.
pub struct NewUser<'a> {
    pub username: &'a str,
    pub password: &'a str,
    pub role: Role,
    pub employee_id: Option<EmployeeId>,
    pub is_demo: bool,
    /// The password is a one-time password that must be replaced at the
    /// next login.
    pub must_change_password: bool,
}

/// Who sets a new password, which decides what else ends with the old one.
#[derive(Clone, Copy, Debug)]
pub enum PasswordChange<'a> {
    /// The user chose it; their current session (if any) stays open and
    /// their API tokens keep working.
    ByOwner { keep_session: Option<&'a str> },
    /// An administrator set a one-time password, for instance because the
    /// account may be compromised or its authenticator lost. The TOTP
    /// second factor is turned off too; the user can set it up again.
    Reset,
}

/// A logged-in browser session.
#[derive(Clone, Debug)]
pub struct Session {
    pub user: User,
    pub expires_at: i64,
}

/// An API token as listed to its owner; the secret is shown once at creation.
#[derive(Clone, Debug, Serialize)]
pub struct ApiTokenInfo {
    pub id: ApiTokenId,
    pub name: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

/// Limits of the login throttle.
#[derive(Clone, Copy, Debug)]
pub struct LoginThrottle {
    /// Failed passwords in a row before an account is locked.
    pub max_failures: i64,
    /// How long a locked account stays locked, in milliseconds.
    pub lockout_ms: i64,
    /// Failed attempts one client address may make per window.
    pub max_client_failures: i64,
    /// Window for the per-client count, in milliseconds.
    pub client_window_ms: i64,
}

impl Default for LoginThrottle {
    fn default() -> Self {
        LoginThrottle {
            max_failures: 5,
            lockout_ms: 15 * 60 * 1000,
            max_client_failures: 20,
            client_window_ms: 15 * 60 * 1000,
        }
    }
}

/// Reason a login failed.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    #[error("wrong username or password")]
    BadCredentials,
    #[error("account locked until {until_ms}")]
    Locked { until_ms: i64 },
    #[error("too many failed logins from this address")]
    RateLimited { retry_after_ms: i64 },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for LoginError {
    fn from(err: sqlx::Error) -> Self {
        LoginError::Store(err.into())
    }
}

#[derive(sqlx::FromRow)]
struct UserRow {
    id: Uuid,
    username: String,
    password_hash: String,
    role: String,
    employee_id: Option<Uuid>,
    locale: String,
    totp_secret: Option<String>,
    locked_until: Option<i64>,
    is_demo: bool,
    must_change_password: bool,
}

impl UserRow {
    fn into_user(self) -> Result<User, StoreError> {
        Ok(User {
            id: UserId::from_uuid(self.id),
            role: self
                .role
                .parse()
                .map_err(|_| StoreError::Corrupt(format!("role {:?}", self.role)))?,
            username: self.username,
            employee_id: self.employee_id.map(EmployeeId::from_uuid),
            locale: self.locale,
            totp_enabled: self.totp_secret.is_some(),
            totp_secret: self.totp_secret,
            password_hash: self.password_hash,
            locked_until: self.locked_until,
            is_demo: self.is_demo,
            must_change_password: self.must_change_password,
        })
    }
}

const USER_COLUMNS: &str = "id, username, password_hash, role, employee_id, locale, totp_secret, \
     locked_until, is_demo, must_change_password";

/// Returns a fresh random secret as 64 hex characters (256 bits).
pub fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

async fn hash_password(password: &str) -> Result<String, StoreError> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| StoreError::Hash(e.to_string()))
    })
    .await
    .map_err(|e| StoreError::Hash(e.to_string()))?
}

async fn verify_password(password: &str, hash: &str) -> bool {
    let password = password.to_owned();
    let hash = hash.to_owned();
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

/// Returns a hash of a random, unknown password. It is verified when
/// the username is unknown, so a wrong username takes as long as a wrong
/// password.
async fn dummy_hash() -> &'static str {
    static DUMMY: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    DUMMY
        .get_or_init(|| async { hash_password(&random_secret()).await.unwrap_or_default() })
        .await
}

both_backends! {
    pub(crate) async fn user_by(conn: &mut Conn, column: &'static str, value: Uuid) -> Result<Option<User>, StoreError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE {column} = $1");
        let row: Option<UserRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(value).fetch_optional(&mut *conn).await?;
        row.map(UserRow::into_user).transpose()
    }

    pub(crate) async fn user_by_name(conn: &mut Conn, username: &str) -> Result<Option<User>, StoreError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE username = $1");
        let row: Option<UserRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(username).fetch_optional(&mut *conn).await?;
        row.map(UserRow::into_user).transpose()
    }

    pub(crate) async fn insert_user(conn: &mut Conn, new: &NewUser<'_>, hash: &str) -> Result<User, StoreError> {
        let id = UserId::new();
        let now = now_ms();
        sqlx::query(
            "INSERT INTO users (id, username, password_hash, role, employee_id, is_demo, \
             must_change_password, created_at, password_changed_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
        )
        .bind(id.as_uuid())
        .bind(new.username)
        .bind(hash)
        .bind(new.role.as_str())
        .bind(new.employee_id.map(|e| e.as_uuid()))
        .bind(new.is_demo)
        .bind(new.must_change_password)
        .bind(now)
        .execute(&mut *conn)
        .await
        .map_err(|e| match &e {
            sqlx::Error::Database(db) if db.is_unique_violation() && db.message().contains("employee") => {
                StoreError::Duplicate {
                    field: "employee_id",
                    value: new.employee_id.map(|id| id.to_string()).unwrap_or_default(),
                }
            }
            _ => unique_as("username", new.username)(e),
        })?;
        user_by(conn, "id", id.as_uuid()).await?.ok_or_else(|| StoreError::not_found("user", id))
    }

    pub(crate) async fn client_failures(conn: &mut Conn, client: &str, since: i64) -> Result<(i64, Option<i64>), StoreError> {
        let row: (i64, Option<i64>) = sqlx::query_as("SELECT COUNT(*), MIN(at) FROM login_failures WHERE client = $1 AND at > $2")
            .bind(client)
            .bind(since)
            .fetch_one(&mut *conn)
            .await?;
        Ok(row)
    }

    pub(crate) async fn record_failure(conn: &mut Conn, user: Option<UserId>, client: &str, limits: LoginThrottle) -> Result<(), StoreError> {
        let now = now_ms();
        sqlx::query("INSERT INTO login_failures (client, at) VALUES ($1, $2)")
            .bind(client)
            .bind(now)
            .execute(&mut *conn)
            .await?;
        sqlx::query("DELETE FROM login_failures WHERE at < $1")
            .bind(now - limits.client_window_ms)
            .execute(&mut *conn)
            .await?;
        if let Some(user) = user {
            sqlx::query(
                "UPDATE users SET locked_until = CASE WHEN failed_logins + 1 >= $2 THEN $3 ELSE locked_until END, \
                 failed_logins = CASE WHEN failed_logins + 1 >= $2 THEN 0 ELSE failed_logins + 1 END \
                 WHERE id = $1",
            )
            .bind(user.as_uuid())
            .bind(limits.max_failures)
            .bind(now + limits.lockout_ms)
            .execute(&mut *conn)
            .await?;
        }
        Ok(())
    }

    pub(crate) async fn session_user(conn: &mut Conn, token_hash: &str, now: i64) -> Result<Option<Session>, StoreError> {
        let row: Option<(Uuid, i64)> = sqlx::query_as("SELECT user_id, expires_at FROM sessions WHERE token_hash = $1 AND expires_at > $2")
            .bind(token_hash)
            .bind(now)
            .fetch_optional(&mut *conn)
            .await?;
        let Some((user_id, expires_at)) = row else { return Ok(None) };
        Ok(user_by(conn, "id", user_id).await?.map(|user| Session { user, expires_at }))
    }

    /// Finds a live token's user and when the token was last used.
    pub(crate) async fn token_user(
        conn: &mut Conn,
        token_hash: &str,
    ) -> Result<Option<(Uuid, Option<i64>, User)>, StoreError> {
        let row: Option<(Uuid, Uuid, Option<i64>)> = sqlx::query_as(
            "SELECT id, user_id, last_used_at FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL",
        )
        .bind(token_hash)
        .fetch_optional(&mut *conn)
        .await?;
        let Some((token_id, user_id, last_used)) = row else { return Ok(None) };
        Ok(user_by(conn, "id", user_id)
            .await?
            .map(|user| (token_id, last_used, user)))
    }
}

/// How often a token's last use is written, in milliseconds.
const TOKEN_USE_GRANULARITY_MS: i64 = 60_000;

impl Store {
    pub async fn user(&self, id: UserId) -> Result<Option<User>, StoreError> {
        rd!(self, |conn, q| q::user_by(conn, "id", id.as_uuid()).await)
    }

    pub async fn user_by_username(&self, username: &str) -> Result<Option<User>, StoreError> {
        rd!(self, |conn, q| q::user_by_name(conn, username).await)
    }

    pub async fn user_of_employee(&self, employee: EmployeeId) -> Result<Option<User>, StoreError> {
        rd!(self, |conn, q| q::user_by(
            conn,
            "employee_id",
            employee.as_uuid()
        )
        .await)
    }

    pub async fn create_user(&self, new: &NewUser<'_>) -> Result<User, StoreError> {
        let hash = hash_password(new.password).await?;
        tx!(self, |conn, q| q::insert_user(conn, new, &hash).await)
    }

    pub async fn count_users(&self) -> Result<i64, StoreError> {
        let sql = "SELECT COUNT(*) FROM users";
        Ok(crate::read!(self, |pool| sqlx::query_scalar(sql)
            .fetch_one(pool)
            .await)?)
    }

    /// Replaces the password and clears any lockout. Other sessions end;
    /// a reset also ends every session, revokes every API token and makes
    /// the new one-time password expire at the next login.
    pub async fn set_password(
        &self,
        id: UserId,
        password: &str,
        change: PasswordChange<'_>,
    ) -> Result<(), StoreError> {
        let hash = hash_password(password).await?;
        let now = now_ms();
        let (kept, must_change, revoke_tokens) = match change {
            PasswordChange::ByOwner { keep_session } => (
                keep_session.map(sha256_hex).unwrap_or_default(),
                false,
                false,
            ),
            PasswordChange::Reset => (String::new(), true, true),
        };
        crate::write!(self, |pool| {
            let mut tx = pool.begin().await?;
            let done = sqlx::query(
                "UPDATE users SET password_hash = $2, password_changed_at = $3, failed_logins = 0, \
                 locked_until = NULL, must_change_password = $4, \
                 totp_secret = CASE WHEN $4 THEN NULL ELSE totp_secret END, \
                 totp_last_step = CASE WHEN $4 THEN NULL ELSE totp_last_step END \
                 WHERE id = $1",
            )
            .bind(id.as_uuid())
            .bind(&hash)
            .bind(now)
            .bind(must_change)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::not_found("user", id));
            }
            sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")
                .bind(id.as_uuid())
                .bind(&kept)
                .execute(&mut *tx)
                .await?;
            if revoke_tokens {
                sqlx::query(
                    "UPDATE api_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL",
                )
                .bind(id.as_uuid())
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }

    /// Accepts the TOTP time step `step` for `user` once: a later login with
    /// a code of the same or an earlier step is rejected, so an observed
    /// code cannot be replayed.
    pub async fn accept_totp_step(&self, user: UserId, step: i64) -> Result<bool, StoreError> {
        let done = crate::write!(self, |pool| {
            sqlx::query(
                "UPDATE users SET totp_last_step = $2 WHERE id = $1 \
                 AND (totp_last_step IS NULL OR totp_last_step < $2)",
            )
            .bind(user.as_uuid())
            .bind(step)
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
        })?;
        Ok(done == 1)
    }

    pub async fn verify_user_password(&self, user: &User, password: &str) -> bool {
        verify_password(password, &user.password_hash).await
    }

    /// Checks a username and password against the throttle and the stored
    /// hash; a wrong password counts towards the account's lockout.
    pub async fn authenticate(
        &self,
        username: &str,
        password: &str,
        client: &str,
        limits: LoginThrottle,
    ) -> Result<User, LoginError> {
        let now = now_ms();
        let since = now - limits.client_window_ms;
        let (failures, oldest) = rd!(self, |conn, q| q::client_failures(conn, client, since)
            .await)?;
        if failures >= limits.max_client_failures {
            let retry_after_ms = oldest.map_or(limits.client_window_ms, |t| {
                t + limits.client_window_ms - now
            });
            return Err(LoginError::RateLimited { retry_after_ms });
        }
        // A name that cannot exist is not looked up, so control characters
        // never reach the database, but it still costs a hash and counts.
        let user = match serasi_domain::user::parse_username(username) {
            Ok(name) => self.user_by_username(&name).await?,
            Err(_) => None,
        };
        if let Some(until) = user
            .as_ref()
            .and_then(|u| u.locked_until)
            .filter(|t| *t > now)
        {
            return Err(LoginError::Locked { until_ms: until });
        }
        let hash = match &user {
            Some(u) => u.password_hash.as_str(),
            None => dummy_hash().await,
        };
        let verified = verify_password(password, hash).await;
        if let Some(user) = user.clone().filter(|_| verified) {
            // The failure count is reset by `record_login_success` once
            // every factor passed, so guessing TOTP codes with the right
            // password still leads to a lockout.
            return Ok(user);
        }
        self.record_login_failure(user.map(|u| u.id), client, limits)
            .await?;
        Err(LoginError::BadCredentials)
    }

    /// Clears the failure count after a login that passed every factor.
    pub async fn record_login_success(&self, user: UserId) -> Result<(), StoreError> {
        crate::write!(self, |pool| {
            sqlx::query("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1")
                .bind(user.as_uuid())
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
        })?;
        Ok(())
    }

    /// Counts a failed login (wrong password or second factor).
    pub async fn record_login_failure(
        &self,
        user: Option<UserId>,
        client: &str,
        limits: LoginThrottle,
    ) -> Result<(), StoreError> {
        tx!(self, |conn, q| q::record_failure(
            conn, user, client, limits
        )
        .await)
    }

    /// Starts a session and returns its secret token for the cookie.
    pub async fn create_session(
        &self,
        user: UserId,
        lifetime_ms: i64,
    ) -> Result<String, StoreError> {
        let token = random_secret();
        let now = now_ms();
        crate::write!(self, |pool| {
            sqlx::query("INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
                .bind(sha256_hex(&token))
                .bind(user.as_uuid())
                .bind(now)
                .bind(now + lifetime_ms)
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
        })?;
        Ok(token)
    }

    /// Returns the live session for a cookie token, if any.
    pub async fn session(&self, token: &str) -> Result<Option<Session>, StoreError> {
        let hash = sha256_hex(token);
        rd!(self, |conn, q| q::session_user(conn, &hash, now_ms()).await)
    }

    pub async fn end_session(&self, token: &str) -> Result<(), StoreError> {
        let now = now_ms();
        crate::write!(self, |pool| {
            sqlx::query("DELETE FROM sessions WHERE token_hash = $1 OR expires_at < $2")
                .bind(sha256_hex(token))
                .bind(now)
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
        })?;
        Ok(())
    }

    pub async fn set_locale(&self, user: UserId, locale: &str) -> Result<(), StoreError> {
        crate::write!(self, |pool| {
            sqlx::query("UPDATE users SET locale = $2 WHERE id = $1")
                .bind(user.as_uuid())
                .bind(locale)
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
        })?;
        Ok(())
    }

    /// Turns the TOTP second factor on (with a base32 secret) or off.
    // TODO: encrypt TOTP secrets with a key kept outside the database; they
    // are stored in plain text, so a copy of the database reveals them.
    pub async fn set_totp_secret(
        &self,
        user: UserId,
        secret: Option<&str>,
    ) -> Result<(), StoreError> {
        crate::write!(self, |pool| {
            sqlx::query("UPDATE users SET totp_secret = $2 WHERE id = $1")
                .bind(user.as_uuid())
                .bind(secret)
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
        })?;
        Ok(())
    }

    /// Creates an API token and returns its id and secret; only a hash is kept.
    pub async fn create_api_token(
        &self,
        user: UserId,
        name: &str,
    ) -> Result<(ApiTokenId, String), StoreError> {
        let id = ApiTokenId::new();
        let secret = format!("srs_{}", random_secret());
        crate::write!(self, |pool| {
            sqlx::query("INSERT INTO api_tokens (id, user_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4, $5)")
                .bind(id.as_uuid())
                .bind(user.as_uuid())
                .bind(name)
                .bind(sha256_hex(&secret))
                .bind(now_ms())
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
        })?;
        Ok((id, secret))
    }

    pub async fn api_tokens(&self, user: UserId) -> Result<Vec<ApiTokenInfo>, StoreError> {
        let rows: Vec<(Uuid, String, i64, Option<i64>)> = crate::read!(self, |pool| {
            sqlx::query_as(
                "SELECT id, name, created_at, last_used_at FROM api_tokens WHERE user_id = $1 AND revoked_at IS NULL ORDER BY created_at",
            )
            .bind(user.as_uuid())
            .fetch_all(pool)
            .await
        })?;
        Ok(rows
            .into_iter()
            .map(|(id, name, created_at, last_used_at)| ApiTokenInfo {
                id: ApiTokenId::from_uuid(id),
                name,
                created_at,
                last_used_at,
            })
            .collect())
    }

    pub async fn revoke_api_token(&self, user: UserId, id: ApiTokenId) -> Result<(), StoreError> {
        let done = crate::write!(self, |pool| {
            sqlx::query("UPDATE api_tokens SET revoked_at = $3 WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL")
                .bind(id.as_uuid())
                .bind(user.as_uuid())
                .bind(now_ms())
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
        })?;
        if done == 0 {
            return Err(StoreError::not_found("API token", id));
        }
        Ok(())
    }

    /// Returns the user owning a bearer token, if it is live. The token's
    /// last use is written only when the stored one is over a minute old,
    /// so most API requests only read.
    pub async fn user_by_api_token(&self, token: &str) -> Result<Option<User>, StoreError> {
        let hash = sha256_hex(token);
        let found = rd!(self, |conn, q| q::token_user(conn, &hash).await)?;
        let Some((token_id, last_used, user)) = found else {
            return Ok(None);
        };
        let now = now_ms();
        if last_used.is_none_or(|at| now - at > TOKEN_USE_GRANULARITY_MS) {
            crate::write!(self, |pool| {
                sqlx::query("UPDATE api_tokens SET last_used_at = $2 WHERE id = $1")
                    .bind(token_id)
                    .bind(now)
                    .execute(pool)
                    .await
                    .map(|_| ())
            })?;
        }
        Ok(Some(user))
    }
}
