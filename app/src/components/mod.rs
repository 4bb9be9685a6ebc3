//! Shared widgets: the app shell, form fields, notices and the list pager.

pub mod form;
pub mod notice;
pub mod shell;
