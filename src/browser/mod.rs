//! Real browsers on the other end of a call: a static file server for
//! `web/` that also takes the pages' reports, and a headless Chromium with
//! fake devices playing the project's marker files; the driver page that
//! runs the suite through the Web NCCallEngine (`--driver chromium`).

pub mod chromium;
pub mod driver_page;
pub mod pages;
