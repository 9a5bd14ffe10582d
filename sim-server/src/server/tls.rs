//! TLS for the signaling port (`wss://`): the simulator's certificate and
//! key, from PEM files or made on the spot (`self_signed`, for tests and
//! demos, whose clients are then told to trust that one certificate).
//!
//! rustls on the `ring` provider, chosen explicitly: the tree also builds
//! `aws-lc-rs` (for the SFU's DTLS), and with two providers compiled in
//! rustls cannot pick a default on its own.

use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// A certificate chain and its key, ready to accept TLS connections.
#[derive(Clone)]
pub struct TlsIdentity {
    pub(super) acceptor: tokio_rustls::TlsAcceptor,
}

impl std::fmt::Debug for TlsIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TlsIdentity")
    }
}

/// Why a certificate or key could not be used.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A file could not be read.
    #[error("cannot read {path}: {message}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        message: String,
    },
    /// The certificate PEM holds no certificate.
    #[error("no certificate in the PEM given")]
    NoCertificate,
    /// The key PEM holds no key rustls can read.
    #[error("the PEM's private key cannot be read: {0}")]
    Key(String),
    /// rustls refused the pair (e.g. a key that is not the certificate's).
    #[error("the certificate and key cannot be used: {0}")]
    Config(String),
    /// rcgen could not make a certificate (e.g. a name that is neither DNS nor IP).
    #[error("cannot make a self-signed certificate: {0}")]
    Generate(String),
}

/// A self-signed certificate and its key, in PEM.
#[derive(Debug, Clone)]
pub struct SelfSigned {
    /// The certificate: what a client is told to trust.
    pub cert_pem: String,
    /// Its private key (PKCS#8): what the simulator serves with.
    pub key_pem: String,
    /// Base64 of the SHA-256 of its public key (SubjectPublicKeyInfo):
    /// the pin Chromium's `--ignore-certificate-errors-spki-list` takes.
    pub spki_sha256: String,
}

/// The names a self-signed certificate is for when none are given: the
/// loopback names a local simulator is reached by.
pub const LOCAL_NAMES: [&str; 3] = ["localhost", "127.0.0.1", "::1"];

/// Makes a certificate for `names` (DNS names or IP addresses), signed by
/// its own key.
pub fn self_signed(names: &[String]) -> Result<SelfSigned, TlsError> {
    let names = if names.is_empty() {
        LOCAL_NAMES.iter().map(|n| n.to_string()).collect()
    } else {
        names.to_vec()
    };
    let certified =
        rcgen::generate_simple_self_signed(names).map_err(|e| TlsError::Generate(e.to_string()))?;
    use base64::Engine as _;
    use rcgen::PublicKeyData as _;
    let spki = ring::digest::digest(
        &ring::digest::SHA256,
        &certified.signing_key.subject_public_key_info(),
    );
    Ok(SelfSigned {
        cert_pem: certified.cert.pem(),
        key_pem: certified.signing_key.serialize_pem(),
        spki_sha256: base64::engine::general_purpose::STANDARD.encode(spki.as_ref()),
    })
}

impl TlsIdentity {
    /// From PEM text: the certificate chain (leaf first) and the key.
    pub fn from_pem(cert_pem: &[u8], key_pem: &[u8]) -> Result<TlsIdentity, TlsError> {
        let chain = CertificateDer::pem_slice_iter(cert_pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| TlsError::Config(e.to_string()))?;
        if chain.is_empty() {
            return Err(TlsError::NoCertificate);
        }
        let key =
            PrivateKeyDer::from_pem_slice(key_pem).map_err(|e| TlsError::Key(e.to_string()))?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsError::Config(e.to_string()))?
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .map_err(|e| TlsError::Config(e.to_string()))?;
        Ok(TlsIdentity {
            acceptor: tokio_rustls::TlsAcceptor::from(Arc::new(config)),
        })
    }

    /// From two PEM files (as `--tls-cert` and `--tls-key` name them).
    pub fn from_pem_files(cert: &Path, key: &Path) -> Result<TlsIdentity, TlsError> {
        let read = |path: &Path| {
            std::fs::read(path).map_err(|e| TlsError::Read {
                path: path.display().to_string(),
                message: e.to_string(),
            })
        };
        TlsIdentity::from_pem(&read(cert)?, &read(key)?)
    }

    /// Serves with a self-signed certificate (see [`self_signed`]).
    pub fn from_self_signed(pair: &SelfSigned) -> Result<TlsIdentity, TlsError> {
        TlsIdentity::from_pem(pair.cert_pem.as_bytes(), pair.key_pem.as_bytes())
    }
}

/// A client configuration that trusts only the certificates in
/// `cert_pem` (a simulator's self-signed one): what the load tool's
/// `--tls-root` connects with.
pub fn client_trusting(cert_pem: &[u8]) -> Result<Arc<rustls::ClientConfig>, TlsError> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(cert_pem) {
        let cert = cert.map_err(|e| TlsError::Config(e.to_string()))?;
        roots
            .add(cert)
            .map_err(|e| TlsError::Config(e.to_string()))?;
    }
    if roots.is_empty() {
        return Err(TlsError::NoCertificate);
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Config(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_self_signed_pair_serves() {
        let pair = self_signed(&[]).unwrap();
        assert!(pair.cert_pem.starts_with("-----BEGIN CERTIFICATE-----"));
        assert!(TlsIdentity::from_self_signed(&pair).is_ok());
    }

    #[test]
    fn bad_pem_is_an_error_not_a_panic() {
        let pair = self_signed(&["example.test".into()]).unwrap();
        assert!(matches!(
            TlsIdentity::from_pem(b"not pem", pair.key_pem.as_bytes()),
            Err(TlsError::NoCertificate)
        ));
        assert!(matches!(
            TlsIdentity::from_pem(pair.cert_pem.as_bytes(), b"garbage"),
            Err(TlsError::Key(_))
        ));
        // A key that is not the certificate's.
        let other = self_signed(&[]).unwrap();
        assert!(matches!(
            TlsIdentity::from_pem(pair.cert_pem.as_bytes(), other.key_pem.as_bytes()),
            Err(TlsError::Config(_))
        ));
    }
}
