//! Shared widgets: the app shell, form controls, formatting, notices, paged lists, and the
//! bigger pieces store pages share (action settings cards, the Try it panel and the form it
//! builds from a JSON Schema). Nothing here calls a service; server functions come in
//! through `api` only where a piece saves its own changes or loads what it shows.

pub mod action_settings;
pub mod auth_card;
pub mod chart;
pub mod decision;
pub mod form;
pub mod format;
pub mod notice;
pub mod page_data;
pub mod paged;
pub mod rule_editor;
pub mod schema_form;
pub mod shell;
pub mod spend;
pub mod try_it;
