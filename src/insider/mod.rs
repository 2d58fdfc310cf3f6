//! Finding the insider: every account's [`activity`], ranked against reported victims ([`suspects`], with
//! the [`victims`] file and the [`stats`] behind it) and against its peers month by month ([`profile`]).

pub mod activity;
pub mod profile;
pub mod stats;
pub mod suspects;
pub mod victims;
