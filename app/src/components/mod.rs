//! Shared widgets: the app shell, form fields, notices and the list pager.

pub mod action_settings;
pub mod decision;
pub mod form;
pub mod format;
pub mod notice;
pub mod shell;
pub mod try_it;
