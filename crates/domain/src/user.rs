//! Accounts: roles, usernames and the password policy.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Role of an account, which decides what it may do. Later features add more roles.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Manages the directory, accounts and settings.
    Admin,
    /// *Pencatat/operator*: registers letters and keeps registers.
    Clerk,
    /// Any other civil servant or village official.
    Employee,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Admin, Role::Clerk, Role::Employee];

    pub fn as_str(&self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Clerk => "clerk",
            Role::Employee => "employee",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role {0:?}; expected admin, clerk or employee")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "admin" => Ok(Role::Admin),
            "clerk" => Ok(Role::Clerk),
            "employee" => Ok(Role::Employee),
            other => Err(UnknownRole(other.to_owned())),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountError {
    #[error("username must be 3 to 64 characters of lowercase letters, digits, '.', '_' or '-'")]
    Username,
    #[error("password must have at least {MIN_PASSWORD_LEN} characters")]
    PasswordTooShort,
    #[error("password must have at most {MAX_PASSWORD_LEN} characters")]
    PasswordTooLong,
}

pub const MIN_PASSWORD_LEN: usize = 10;
pub const MAX_PASSWORD_LEN: usize = 128;

/// Lowercases and validates a username.
pub fn parse_username(input: &str) -> Result<String, AccountError> {
    let name = input.trim().to_lowercase();
    let valid = (3..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'));
    if valid {
        Ok(name)
    } else {
        Err(AccountError::Username)
    }
}

/// Checks a new password against the length policy. Length beats
/// composition rules, so no character classes are required.
pub fn check_new_password(password: &str) -> Result<(), AccountError> {
    let len = password.chars().count();
    if len < MIN_PASSWORD_LEN {
        return Err(AccountError::PasswordTooShort);
    }
    if len > MAX_PASSWORD_LEN {
        return Err(AccountError::PasswordTooLong);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        assert_eq!(parse_username(" Admin "), Ok("admin".into()));
        assert_eq!(
            parse_username("budi.santoso_01"),
            Ok("budi.santoso_01".into())
        );
        assert!(parse_username("ab").is_err());
        assert!(parse_username("budi santoso").is_err());
        assert!(parse_username("budi@x").is_err());
    }

    #[test]
    fn password_policy() {
        assert_eq!(
            check_new_password("short"),
            Err(AccountError::PasswordTooShort)
        );
        assert_eq!(check_new_password("panjang sekali"), Ok(()));
        assert_eq!(
            check_new_password(&"x".repeat(129)),
            Err(AccountError::PasswordTooLong)
        );
    }
}
