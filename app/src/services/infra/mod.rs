//! What every service stands on and that knows nothing of the domain's rules: the database
//! (connection, migrations, the write gate, errors, ids, time) and encryption at rest.
//! Nothing here imports another service module.

pub mod crypto;
pub mod db;
