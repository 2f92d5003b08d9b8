//! The Event Streams webhook sink receiver.

pub mod signature;
pub mod server;
