//! The Event Streams webhook sink receiver.

pub mod server;
pub mod signature;
