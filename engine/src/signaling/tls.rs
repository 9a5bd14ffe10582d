//! TLS for `wss://` servers: which certificate authorities the engine
//! trusts. By default the system's store (what a deployed app trusts);
//! a test or a staging server adds its own certificate, or trusts only it.
//!
//! rustls on the `ring` provider, named explicitly: the tree may compile in
//! a second provider, and rustls then picks none by itself.

use std::sync::{Arc, OnceLock};

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

use nccall_protocol::ErrorCode;

use crate::error::{CallError, CallResult};

/// The certificate authorities a `wss://` connection may chain to.
#[derive(Clone)]
pub struct TlsRoots {
    system: bool,
    extra: Vec<CertificateDer<'static>>,
    /// Built on the first `wss://` connect, then shared by every link
    /// (reading the system's store costs milliseconds).
    built: Arc<OnceLock<Result<Arc<rustls::ClientConfig>, String>>>,
}

impl Default for TlsRoots {
    fn default() -> Self {
        TlsRoots::system()
    }
}

impl std::fmt::Debug for TlsRoots {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsRoots")
            .field("system", &self.system)
            .field("extra", &self.extra.len())
            .finish()
    }
}

impl TlsRoots {
    /// The system's certificate store (on Linux, `/etc/ssl/certs` and the
    /// `SSL_CERT_FILE`/`SSL_CERT_DIR` it names).
    pub fn system() -> TlsRoots {
        TlsRoots {
            system: true,
            extra: Vec::new(),
            built: Arc::default(),
        }
    }

    /// Only the certificates in `pem` (e.g. a simulator's self-signed one,
    /// as `nccall-sim self-signed-cert` writes it). PARAM_ERROR if it holds
    /// none or is not PEM.
    pub fn only_pem(pem: &[u8]) -> CallResult<TlsRoots> {
        TlsRoots {
            system: false,
            ..TlsRoots::system()
        }
        .with_pem(pem)
    }

    /// These roots and the certificates in `pem` too.
    pub fn with_pem(mut self, pem: &[u8]) -> CallResult<TlsRoots> {
        let certs = CertificateDer::pem_slice_iter(pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| {
                CallError::new(ErrorCode::ParamError, format!("not a PEM certificate: {e}"))
            })?;
        if certs.is_empty() {
            return Err(CallError::new(
                ErrorCode::ParamError,
                "no certificate in the PEM given",
            ));
        }
        self.extra.extend(certs);
        self.built = Arc::default();
        Ok(self)
    }

    /// The client configuration for these roots (built once).
    pub(crate) fn client_config(&self) -> Result<Arc<rustls::ClientConfig>, String> {
        self.built.get_or_init(|| self.build()).clone()
    }

    fn build(&self) -> Result<Arc<rustls::ClientConfig>, String> {
        let mut roots = rustls::RootCertStore::empty();
        if self.system {
            let found = rustls_native_certs::load_native_certs();
            for e in &found.errors {
                tracing::debug!("a system root certificate could not be read: {e}");
            }
            roots.add_parsable_certificates(found.certs);
        }
        for cert in &self.extra {
            roots
                .add(cert.clone())
                .map_err(|e| format!("a trusted certificate cannot be used: {e}"))?;
        }
        if roots.is_empty() {
            return Err("no trusted root certificate (the system's store is empty)".into());
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(Arc::new(config))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_that_is_not_a_certificate_is_a_param_error() {
        for pem in [&b""[..], b"hello", b"-----BEGIN CERTIFICATE-----\n!!\n"] {
            let error = TlsRoots::only_pem(pem).unwrap_err();
            assert_eq!(error.code(), ErrorCode::ParamError, "{pem:?}");
        }
    }
}
