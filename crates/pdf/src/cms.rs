//! CMS `SignedData` for PAdES baseline B-B: a detached signature over the
//! PDF byte ranges with the content-type, message-digest and ESS
//! signing-certificate-v2 attributes, RSA PKCS#1 v1.5 with SHA-256.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeyPair;
use aws_lc_rs::signature::RSA_PKCS1_SHA256;
use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
use cms::content_info::{CmsVersion, ContentInfo};
use cms::signed_data::{
    CertificateSet, EncapsulatedContentInfo, SignedData, SignerIdentifier, SignerInfo, SignerInfos,
};
use const_oid::ObjectIdentifier;
use const_oid::db::rfc5911::{ID_DATA, ID_SIGNED_DATA};
use const_oid::db::rfc5912::{ID_SHA_256, RSA_ENCRYPTION};
use der::asn1::{OctetString, SetOfVec};
use der::{Any, Decode, Encode};
use sha2::{Digest, Sha256};
use spki::AlgorithmIdentifierOwned;
use x509_cert::Certificate;
use x509_cert::attr::Attribute;

/// `id-contentType`.
pub const CONTENT_TYPE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.3");
/// `id-messageDigest`.
pub const MESSAGE_DIGEST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");
/// `id-aa-signingCertificateV2`.
pub const SIGNING_CERTIFICATE_V2: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.47");

/// Errors from building a CMS structure.
#[derive(Debug, thiserror::Error)]
pub enum CmsError {
    #[error("DER encoding failed: {0}")]
    Der(#[from] der::Error),
    #[error("the private key could not sign")]
    Key,
}

fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .into_iter()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(content);
    out
}

fn attribute(oid: ObjectIdentifier, value_der: &[u8]) -> Result<Attribute, CmsError> {
    let value = Any::from_der(value_der)?;
    Ok(Attribute {
        oid,
        values: SetOfVec::try_from(vec![value])?,
    })
}

/// Builds the DER `ContentInfo` with a detached signature by `key` over
/// `digest`, the SHA-256 of the signed byte ranges. `signer` is the key's
/// certificate and `chain` adds issuer certificates.
pub fn signed_data(
    digest: &[u8; 32],
    key: &KeyPair,
    signer: &Certificate,
    chain: &[Certificate],
) -> Result<Vec<u8>, CmsError> {
    let signer_der = signer.to_der()?;
    let cert_hash = Sha256::digest(&signer_der);
    // SigningCertificateV2 ::= SEQUENCE { certs SEQUENCE OF ESSCertIDv2 }
    // ESSCertIDv2 ::= SEQUENCE { certHash OCTET STRING } (SHA-256 default).
    let ess = tlv(0x30, &tlv(0x30, &tlv(0x30, &tlv(0x04, &cert_hash))));
    let attrs: SetOfVec<Attribute> = SetOfVec::try_from(vec![
        attribute(CONTENT_TYPE, &ID_DATA.to_der()?)?,
        attribute(
            MESSAGE_DIGEST,
            &OctetString::new(digest.to_vec())?.to_der()?,
        )?,
        attribute(SIGNING_CERTIFICATE_V2, &ess)?,
    ])?;
    let to_sign = attrs.to_der()?;
    let mut signature = vec![0u8; key.public_modulus_len()];
    key.sign(
        &RSA_PKCS1_SHA256,
        &SystemRandom::new(),
        &to_sign,
        &mut signature,
    )
    .map_err(|_| CmsError::Key)?;

    let sha256 = AlgorithmIdentifierOwned {
        oid: ID_SHA_256,
        parameters: None,
    };
    let signer_info = SignerInfo {
        version: CmsVersion::V1,
        sid: SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
            issuer: signer.tbs_certificate.issuer.clone(),
            serial_number: signer.tbs_certificate.serial_number.clone(),
        }),
        digest_alg: sha256.clone(),
        signed_attrs: Some(attrs),
        signature_algorithm: AlgorithmIdentifierOwned {
            oid: RSA_ENCRYPTION,
            parameters: Some(Any::from(der::asn1::Null)),
        },
        signature: OctetString::new(signature)?,
        unsigned_attrs: None,
    };
    let mut certificates = vec![CertificateChoices::Certificate(signer.clone())];
    certificates.extend(chain.iter().cloned().map(CertificateChoices::Certificate));
    let signed = SignedData {
        version: CmsVersion::V1,
        digest_algorithms: SetOfVec::try_from(vec![sha256])?,
        encap_content_info: EncapsulatedContentInfo {
            econtent_type: ID_DATA,
            econtent: None,
        },
        certificates: Some(CertificateSet::try_from(certificates)?),
        crls: None,
        signer_infos: SignerInfos::try_from(vec![signer_info])?,
    };
    let info = ContentInfo {
        content_type: ID_SIGNED_DATA,
        content: Any::encode_from(&signed)?,
    };
    Ok(info.to_der()?)
}
