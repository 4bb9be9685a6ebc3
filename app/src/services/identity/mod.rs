//! Who people are and how they prove it: sign-in and its throttle, sessions (and their
//! store), MFA, password hashing, invitations and password resets, a person's own account,
//! single sign-on (the org's OpenID Connect provider: `sso` its settings, `oidc` the flow).

pub mod account;
pub mod auth;
pub mod mfa;
pub mod oidc;
pub mod passwords;
pub mod session_store;
pub mod sso;
pub mod throttle;
pub mod users;
