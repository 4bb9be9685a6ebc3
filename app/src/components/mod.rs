//! Shared widgets: the app shell, form fields, notices.

pub mod form;
pub mod shell;
