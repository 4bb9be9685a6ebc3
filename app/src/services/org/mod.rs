//! The organisation and its shape: creating orgs (and the first set-up), the team tree,
//! org-wide settings, and the outbox of mail the org sends.

pub mod notify;
pub mod orgs;
pub mod outbox;
pub mod preferences;
pub mod settings;
pub mod setup;
pub mod teams;
