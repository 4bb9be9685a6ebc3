//! Who people are and how they prove it: sign-in and its throttle, sessions (and their
//! store), MFA, password hashing, invitations and password resets, a person's own account.

pub mod account;
pub mod auth;
pub mod mfa;
pub mod passwords;
pub mod session_store;
pub mod throttle;
pub mod users;
