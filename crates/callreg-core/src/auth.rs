//! Who is calling the engine: the authenticated user and, for OAuth, the application.

use crate::types::UserId;
use std::fmt;

/// The application a request comes from (Bitrix's `REST_APP_ID`). Webhook requests have none.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AppId(String);

impl AppId {
    /// Wraps an application id.
    pub fn new(id: impl Into<String>) -> Self {
        AppId(id.into())
    }
    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AppId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How a request was authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuthKind {
    /// An OAuth application token.
    OAuth,
    /// An incoming webhook (Bitrix's `apauth`).
    Webhook,
    /// The portal's own UI session; refused by register, finish and the line methods.
    Session,
}

impl AuthKind {
    /// Parses `oauth`, `webhook`, `session` (case-insensitive).
    pub fn parse(name: &str) -> Option<AuthKind> {
        match name.to_ascii_lowercase().as_str() {
            "oauth" => Some(AuthKind::OAuth),
            "webhook" => Some(AuthKind::Webhook),
            "session" => Some(AuthKind::Session),
            _ => None,
        }
    }

    /// Whether register, finish and `externalLine.*` accept this kind.
    pub fn may_manage_calls(self) -> bool {
        matches!(self, AuthKind::OAuth | AuthKind::Webhook)
    }
}

/// The identity a command runs as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Auth {
    /// The authenticated (acting) user; permission checks apply to this user.
    pub user_id: UserId,
    /// The application, for OAuth requests.
    pub app_id: Option<AppId>,
    /// How the request was authenticated.
    pub kind: AuthKind,
}

impl Auth {
    /// A webhook of `user_id` (no application).
    pub fn webhook(user_id: u64) -> Self {
        Auth { user_id: UserId(user_id), app_id: None, kind: AuthKind::Webhook }
    }

    /// An OAuth application acting for `user_id`.
    pub fn app(user_id: u64, app_id: impl Into<String>) -> Self {
        Auth { user_id: UserId(user_id), app_id: Some(AppId::new(app_id)), kind: AuthKind::OAuth }
    }

    /// The portal UI session of `user_id`.
    pub fn session(user_id: u64) -> Self {
        Auth { user_id: UserId(user_id), app_id: None, kind: AuthKind::Session }
    }
}
