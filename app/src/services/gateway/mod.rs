//! What assistants ask and do: the side-effect-free check, the gateway (invoke, confirm,
//! cancel, result, expiry) with its usage counters, the executors and connectors that carry
//! actions out, the read side of actions (lists, detail, approvals, CSV), and the inbox of
//! notifications and tasks that internal actions write.

pub mod action_views;
pub mod actions;
pub mod check;
pub mod connectors;
pub mod executors;
pub mod inbox;
pub mod usage;
