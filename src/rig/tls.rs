//! The suite over `wss://` (`--tls`): one self-signed certificate for the
//! whole run, served by every simulator the rig starts and trusted by every
//! engine it creates: in process (`TlsRoots::only_pem`), behind a driver
//! (`createEngine`'s `trustedCertificatePem`), and in Chromium (its public
//! key pinned at launch, since a page cannot be handed a root).

use std::sync::OnceLock;

use nccall_sim::SelfSigned;

static TLS: OnceLock<Option<SelfSigned>> = OnceLock::new();

/// Runs every simulator of this process over TLS (`--tls`), once, before
/// the first rig or browser starts; later calls change nothing. Fails if
/// no certificate could be made.
pub fn use_tls() -> Result<(), String> {
    let pair = nccall_sim::tls::self_signed(&[]).map_err(|e| e.to_string())?;
    let _ = TLS.set(Some(pair));
    Ok(())
}

/// The run's certificate when the suite runs over TLS.
pub fn suite_tls() -> Option<&'static SelfSigned> {
    TLS.get_or_init(|| None).as_ref()
}
