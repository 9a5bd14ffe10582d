//! Real browsers on the other end of a call: a static file server for
//! `web/` that also takes the pages' reports, and a headless Chromium with
//! fake devices playing the project's marker files.

pub mod chromium;
pub mod pages;
