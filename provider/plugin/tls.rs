//! AutoMTLS: Terraform passes its client certificate in `PLUGIN_CLIENT_CERT` and expects the
//! provider's own certificate in the handshake line. The server requires exactly that client
//! certificate: a connection presenting no certificate, or any other one, fails the TLS handshake.
//!
//! Terraform's certificate is P-521 and marked CA, which the stock WebPKI verifier refuses as an
//! end-entity certificate; a pinned verifier compares the DER byte for byte instead and checks the
//! handshake signature with aws-lc-rs (which can verify ECDSA P-521/SHA-512).

use std::sync::Arc;

use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{DigitallySignedStruct, DistinguishedName, ServerConfig, SignatureScheme};

/// The server side of one plugin process: its fresh certificate and the TLS configuration.
pub struct ServerTls {
    pub cert_der: Vec<u8>,
    pub config: Arc<ServerConfig>,
}

/// Builds the TLS configuration that accepts only `client_cert_pem`.
pub fn server_tls(client_cert_pem: &str) -> Result<ServerTls, String> {
    let client = CertificateDer::from_pem_slice(client_cert_pem.as_bytes())
        .map_err(|e| format!("PLUGIN_CLIENT_CERT is not a PEM certificate: {e}"))?;
    let generated = rcgen::generate_simple_self_signed(vec!["localhost".to_string()])
        .map_err(|e| format!("cannot generate the server certificate: {e}"))?;
    let cert_der = generated.cert.der().to_vec();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(generated.signing_key.serialize_der()));

    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let verifier = Arc::new(PinnedClientCert { expected: client.into_owned(), provider: provider.clone() });
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS setup: {e}"))?
        .with_client_cert_verifier(verifier)
        .with_single_cert(vec![CertificateDer::from(cert_der.clone())], key)
        .map_err(|e| format!("TLS setup: {e}"))?;
    // gRPC runs on HTTP/2; newer gRPC clients (Terraform >= 1.12, OpenTofu) insist on ALPN h2.
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(ServerTls { cert_der, config: Arc::new(config) })
}

#[derive(Debug)]
struct PinnedClientCert {
    expected: CertificateDer<'static>,
    provider: Arc<CryptoProvider>,
}

impl ClientCertVerifier for PinnedClientCert {
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        if end_entity.as_ref() == self.expected.as_ref() {
            Ok(ClientCertVerified::assertion())
        } else {
            tracing::warn!("refused a gRPC client: its certificate is not the one Terraform announced");
            Err(rustls::Error::InvalidCertificate(rustls::CertificateError::ApplicationVerificationFailure))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        // With aws-lc-rs this includes ECDSA_NISTP521_SHA512, the scheme of Terraform's key; a Go
        // client sends its certificate only when its scheme is offered here.
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offers_p521_so_terraform_sends_its_certificate() {
        let client = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
        let tls = server_tls(&client.cert.pem()).unwrap();
        assert!(tls.cert_der.len() > 50);
        let v = PinnedClientCert { expected: client.cert.der().clone(), provider: Arc::new(rustls::crypto::aws_lc_rs::default_provider()) };
        assert!(v.supported_verify_schemes().contains(&SignatureScheme::ECDSA_NISTP521_SHA512));
        assert!(v.verify_client_cert(client.cert.der(), &[], UnixTime::now()).is_ok());
        let other = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
        assert!(v.verify_client_cert(other.cert.der(), &[], UnixTime::now()).is_err());
    }

    #[test]
    fn garbage_client_cert_is_an_error() {
        assert!(server_tls("not a certificate").is_err());
    }
}
