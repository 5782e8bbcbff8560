//! The control plane's PKI: one CA that signs the API server's serving certificate and every
//! client certificate, and the key pair that signs ServiceAccount tokens.

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose,
};
use time::{Duration, OffsetDateTime};

use crate::Error;

/// A PEM certificate with its PEM private key.
#[derive(Clone)]
pub struct CertAndKey {
    pub cert_pem: String,
    pub key_pem: String,
}

pub struct CertificateAuthority {
    pub cert_pem: String,
    issuer: Issuer<'static, KeyPair>,
}

fn validity(params: &mut CertificateParams) {
    // Backdated a little so clock skew between the processes never matters; a year is far
    // longer than any test run or `make cluster` session.
    let now = OffsetDateTime::now_utc();
    params.not_before = now - Duration::hours(1);
    params.not_after = now + Duration::days(365);
}

impl CertificateAuthority {
    pub fn new() -> Result<Self, Error> {
        let key = KeyPair::generate().map_err(Error::certs)?;
        let mut params = CertificateParams::default();
        params.distinguished_name = DistinguishedName::new();
        params
            .distinguished_name
            .push(DnType::CommonName, "tripreport-testenv-ca");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        validity(&mut params);
        let cert = params.self_signed(&key).map_err(Error::certs)?;
        Ok(Self {
            cert_pem: cert.pem(),
            issuer: Issuer::new(params, key),
        })
    }

    /// The serving certificate of kube-apiserver, valid for the loopback names clients use.
    pub fn serving_cert(&self) -> Result<CertAndKey, Error> {
        let mut params = CertificateParams::new(vec![
            "127.0.0.1".to_string(),
            "localhost".to_string(),
            "kubernetes".to_string(),
            "kubernetes.default".to_string(),
            "kubernetes.default.svc".to_string(),
        ])
        .map_err(Error::certs)?;
        params
            .distinguished_name
            .push(DnType::CommonName, "kube-apiserver");
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        self.sign(params)
    }

    /// A client certificate: Kubernetes reads the user name from CN and the groups from O.
    pub fn client_cert(&self, user: &str, groups: &[&str]) -> Result<CertAndKey, Error> {
        let mut params = CertificateParams::default();
        params.distinguished_name = DistinguishedName::new();
        params.distinguished_name.push(DnType::CommonName, user);
        for group in groups {
            params
                .distinguished_name
                .push(DnType::OrganizationName, *group);
        }
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        self.sign(params)
    }

    fn sign(&self, mut params: CertificateParams) -> Result<CertAndKey, Error> {
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        validity(&mut params);
        let key = KeyPair::generate().map_err(Error::certs)?;
        let cert = params.signed_by(&key, &self.issuer).map_err(Error::certs)?;
        Ok(CertAndKey {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        })
    }
}

/// The key pair kube-apiserver signs and verifies ServiceAccount tokens with (ECDSA P-256).
pub struct ServiceAccountKey {
    pub private_pem: String,
    pub public_pem: String,
}

impl ServiceAccountKey {
    pub fn new() -> Result<Self, Error> {
        let key = KeyPair::generate().map_err(Error::certs)?;
        Ok(Self {
            private_pem: key.serialize_pem(),
            public_pem: key.public_key_pem(),
        })
    }
}
