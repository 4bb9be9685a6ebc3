//! Shared widgets: the app shell, form fields, notices.

pub mod form;
pub mod notice;
pub mod shell;
