//! The installation's own certificate authority: a self-signed root that
//! issues one certificate per signer, naming the signer's name, NIP,
//! position and organisation. Signer keys are sealed with a key derived
//! from the signer's password, so only the signer can unlock them.

use argon2::{Algorithm, Argon2, Params, Version};
use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use der::{Decode, DecodePem};
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, PKCS_RSA_SHA256, RsaKeySize, SerialNumber,
};
use time::{Duration, OffsetDateTime};
use x509_cert::Certificate;

use crate::sign::SigningIdentity;

/// How long a signer certificate stays valid.
pub const SIGNER_VALIDITY_DAYS: i64 = 2 * 365;
const CA_VALIDITY_DAYS: i64 = 20 * 365;
const SEALED_VERSION: u8 = 1;

/// Errors from certificate and key operations.
#[derive(Debug, thiserror::Error)]
pub enum CaError {
    #[error("certificate generation failed: {0}")]
    Generate(#[from] rcgen::Error),
    #[error("certificate could not be read: {0}")]
    Certificate(#[from] der::Error),
    #[error("the signing key could not be unlocked; the password is wrong or the key was replaced")]
    Unlock,
    #[error("the sealed key is damaged")]
    Damaged,
    #[error("random number generation failed")]
    Random,
}

/// A root certificate with its private key, as PEM text.
#[derive(Clone)]
pub struct Authority {
    pub certificate_pem: String,
    key_pem: String,
}

impl std::fmt::Debug for Authority {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authority").finish_non_exhaustive()
    }
}

/// The person a signer certificate names.
#[derive(Clone, Debug)]
pub struct SignerSubject {
    pub name: String,
    /// NIP, or the village official's identifier; printed as serialNumber.
    pub identifier: String,
    pub position: String,
    pub organization: String,
}

/// A newly issued signer certificate and its sealed private key.
pub struct IssuedSigner {
    pub certificate_der: Vec<u8>,
    pub serial_hex: String,
    pub not_after: OffsetDateTime,
    pub sealed_key: Vec<u8>,
}

fn random_serial() -> Result<SerialNumber, CaError> {
    let mut bytes = [0u8; 16];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| CaError::Random)?;
    // A positive INTEGER: clear the top bit.
    bytes[0] &= 0x7F;
    bytes[0] |= 0x01;
    Ok(SerialNumber::from_slice(&bytes))
}

impl Authority {
    /// Creates a new root named after the installation.
    pub fn create(name: &str) -> Result<Authority, CaError> {
        let key = KeyPair::generate_rsa_for(&PKCS_RSA_SHA256, RsaKeySize::_2048)?;
        let mut params = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, format!("{name} Root CA"));
        dn.push(DnType::OrganizationName, name);
        dn.push(DnType::CountryName, "ID");
        params.distinguished_name = dn;
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        params.serial_number = Some(random_serial()?);
        let now = OffsetDateTime::now_utc();
        params.not_before = now - Duration::days(1);
        params.not_after = now + Duration::days(CA_VALIDITY_DAYS);
        let certificate = params.self_signed(&key)?;
        Ok(Authority {
            certificate_pem: certificate.pem(),
            key_pem: key.serialize_pem(),
        })
    }

    /// Loads a root from its PEM files.
    pub fn from_pem(certificate_pem: String, key_pem: String) -> Result<Authority, CaError> {
        KeyPair::from_pem(&key_pem)?;
        Certificate::from_pem(certificate_pem.as_bytes())?;
        Ok(Authority {
            certificate_pem,
            key_pem,
        })
    }

    /// Returns the root certificate.
    pub fn certificate(&self) -> Result<Certificate, CaError> {
        Ok(Certificate::from_pem(self.certificate_pem.as_bytes())?)
    }

    /// Returns the private key as PEM, for writing the key file.
    pub fn key_pem(&self) -> &str {
        &self.key_pem
    }

    /// Issues a certificate for `subject` with a new key pair sealed under
    /// `password`.
    pub fn issue(&self, subject: &SignerSubject, password: &str) -> Result<IssuedSigner, CaError> {
        let ca_key = KeyPair::from_pem(&self.key_pem)?;
        let issuer = Issuer::from_ca_cert_pem(&self.certificate_pem, ca_key)?;
        let key = KeyPair::generate_rsa_for(&PKCS_RSA_SHA256, RsaKeySize::_2048)?;
        let mut params = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, subject.name.as_str());
        dn.push(
            DnType::CustomDnType(vec![2, 5, 4, 5]),
            subject.identifier.as_str(),
        );
        dn.push(
            DnType::CustomDnType(vec![2, 5, 4, 12]),
            subject.position.as_str(),
        );
        dn.push(DnType::OrganizationName, subject.organization.as_str());
        dn.push(DnType::CountryName, "ID");
        params.distinguished_name = dn;
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::ContentCommitment,
        ];
        params.use_authority_key_identifier_extension = true;
        let serial = random_serial()?;
        let serial_hex = hex::encode(serial.as_ref());
        params.serial_number = Some(serial);
        let now = OffsetDateTime::now_utc();
        params.not_before = now - Duration::minutes(5);
        params.not_after = now + Duration::days(SIGNER_VALIDITY_DAYS);
        let certificate = params.signed_by(&key, &issuer)?;
        Ok(IssuedSigner {
            certificate_der: certificate.der().to_vec(),
            serial_hex,
            not_after: params.not_after,
            sealed_key: seal(&key.serialize_der(), password)?,
        })
    }
}

/// Opens a signer's sealed key with their password and pairs it with the
/// certificate and the root.
pub fn unlock(
    certificate_der: &[u8],
    sealed_key: &[u8],
    password: &str,
    root: &Certificate,
) -> Result<SigningIdentity, CaError> {
    let pkcs8 = open(sealed_key, password)?;
    let key = aws_lc_rs::rsa::KeyPair::from_pkcs8(&pkcs8).map_err(|_| CaError::Damaged)?;
    Ok(SigningIdentity {
        key,
        certificate: Certificate::from_der(certificate_der)?,
        chain: vec![root.clone()],
    })
}

/// Seals the key again under a new password, as on a password change.
pub fn reseal(sealed_key: &[u8], old: &str, new: &str) -> Result<Vec<u8>, CaError> {
    seal(&open(sealed_key, old)?, new)
}

fn derive(password: &str, salt: &[u8]) -> Result<LessSafeKey, CaError> {
    let params = Params::new(19 * 1024, 2, 1, Some(32)).map_err(|_| CaError::Damaged)?;
    let mut key = [0u8; 32];
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(password.as_bytes(), salt, &mut key)
        .map_err(|_| CaError::Damaged)?;
    let unbound = UnboundKey::new(&AES_256_GCM, &key).map_err(|_| CaError::Damaged)?;
    Ok(LessSafeKey::new(unbound))
}

/// Layout: version (1) ‖ salt (16) ‖ nonce (12) ‖ AES-256-GCM ciphertext.
fn seal(plain: &[u8], password: &str) -> Result<Vec<u8>, CaError> {
    let rng = SystemRandom::new();
    let mut salt = [0u8; 16];
    let mut nonce = [0u8; 12];
    rng.fill(&mut salt).map_err(|_| CaError::Random)?;
    rng.fill(&mut nonce).map_err(|_| CaError::Random)?;
    let key = derive(password, &salt)?;
    let mut data = plain.to_vec();
    key.seal_in_place_append_tag(
        Nonce::assume_unique_for_key(nonce),
        Aad::from(&[SEALED_VERSION]),
        &mut data,
    )
    .map_err(|_| CaError::Damaged)?;
    let mut out = vec![SEALED_VERSION];
    out.extend_from_slice(&salt);
    out.extend_from_slice(&nonce);
    out.extend(data);
    Ok(out)
}

fn open(sealed: &[u8], password: &str) -> Result<Vec<u8>, CaError> {
    if sealed.len() < 1 + 16 + 12 + 16 || sealed[0] != SEALED_VERSION {
        return Err(CaError::Damaged);
    }
    let salt = &sealed[1..17];
    let nonce: [u8; 12] = sealed[17..29].try_into().map_err(|_| CaError::Damaged)?;
    let key = derive(password, salt)?;
    let mut data = sealed[29..].to_vec();
    let plain = key
        .open_in_place(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(&[SEALED_VERSION]),
            &mut data,
        )
        .map_err(|_| CaError::Unlock)?;
    Ok(plain.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_key_opens_with_its_password_only() {
        let sealed = seal(b"secret key", "benar").expect("seal");
        assert_eq!(open(&sealed, "benar").expect("open"), b"secret key");
        assert!(matches!(open(&sealed, "salah"), Err(CaError::Unlock)));
        let resealed = reseal(&sealed, "benar", "baru").expect("reseal");
        assert_eq!(open(&resealed, "baru").expect("open"), b"secret key");
    }
}
