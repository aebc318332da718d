//! Checking the signatures in a PDF without trusting its structure: each
//! `/ByteRange` is read from the raw bytes, the ranges are hashed, and the
//! CMS signature, its message digest and its certificate are checked.

use aws_lc_rs::signature::{self, UnparsedPublicKey, VerificationAlgorithm};
use cms::content_info::ContentInfo;
use cms::signed_data::{SignedData, SignerIdentifier};
use const_oid::ObjectIdentifier;
use der::{Decode, Encode};
use sha2::{Digest, Sha256, Sha384, Sha512};
use time::OffsetDateTime;
use x509_cert::Certificate;

use crate::cms::MESSAGE_DIGEST;

const SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
const SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.2");
const SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.3");
const RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const RSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");
const RSA_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.12");
const RSA_SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.13");
const ECDSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
const ECDSA_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.3");
const EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const P384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
const COMMON_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.3");
const SERIAL_NUMBER: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.5");
const TITLE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.12");
const ORGANIZATION: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.10");

/// Errors that stop a file from being checked at all.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum VerifyError {
    #[error("the file is not a PDF")]
    NotPdf,
    #[error("the PDF is incomplete (no end-of-file marker)")]
    Truncated,
    #[error("the PDF carries more than {MAX_SIGNATURES} signatures")]
    TooManySignatures,
}

/// Maximum number of signatures checked in one file. Each one hashes up to
/// the whole file, so hundreds of them would cost minutes of CPU.
pub const MAX_SIGNATURES: usize = 16;

/// How far the signer's certificate is trusted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Trust {
    /// Issued by one of the trusted roots and valid when the file was signed.
    Trusted,
    /// Issued by a trusted root, but outside its validity period.
    Expired,
    /// Issued by a root this installation does not know.
    UnknownIssuer,
}

/// The result for one signature in a file.
#[derive(Clone, Debug, serde::Serialize)]
pub struct SignatureCheck {
    /// Whether the signed byte ranges still hash to the signed digest.
    pub intact: bool,
    /// Whether the signature over the signed attributes verifies with the
    /// certificate's key.
    pub signature_valid: bool,
    /// Whether this signature covers the file up to its last byte.
    pub covers_whole_file: bool,
    pub trust: Trust,
    pub signer_name: String,
    pub signer_identifier: String,
    pub signer_position: String,
    pub signer_organization: String,
    pub certificate_serial: String,
    /// The `/M` time in the signature dictionary, as written.
    pub signed_at: Option<String>,
    pub reason: Option<String>,
}

impl SignatureCheck {
    /// Returns whether the signature is sound and covers an unchanged file
    /// from a trusted certificate.
    pub fn valid(&self) -> bool {
        self.intact
            && self.signature_valid
            && self.covers_whole_file
            && self.trust == Trust::Trusted
    }
}

fn find_all(haystack: &[u8], needle: &[u8]) -> Vec<usize> {
    haystack
        .windows(needle.len())
        .enumerate()
        .filter(|(_, w)| *w == needle)
        .map(|(i, _)| i)
        .collect()
}

fn parse_ranges(bytes: &[u8], at: usize) -> Option<[usize; 4]> {
    let rest = bytes.get(at + b"/ByteRange".len()..)?;
    let open = rest.iter().position(|b| *b == b'[')?;
    if rest[..open].iter().any(|b| !b.is_ascii_whitespace()) {
        return None;
    }
    let close = rest.iter().position(|b| *b == b']')?;
    let inner = std::str::from_utf8(rest.get(open + 1..close)?).ok()?;
    let numbers: Vec<usize> = inner
        .split_ascii_whitespace()
        .map(str::parse)
        .collect::<Result<_, _>>()
        .ok()?;
    numbers.try_into().ok()
}

/// Reads the string value of `key` in the dictionary around `at`: of the
/// occurrences within `limit` bytes either side, the nearest one followed
/// by a literal `(…)` or hex `<…>` string.
fn literal_near(bytes: &[u8], at: usize, key: &[u8], limit: usize) -> Option<String> {
    let from = at.saturating_sub(limit);
    let window = bytes.get(from..(at + limit).min(bytes.len()))?;
    let mut found: Vec<(usize, String)> = find_all(window, key)
        .into_iter()
        .filter_map(|i| string_after(&window[i + key.len()..]).map(|v| (i, v)))
        .collect();
    let centre = at - from;
    found.sort_by_key(|(i, _)| i.abs_diff(centre));
    found.into_iter().next().map(|(_, v)| v)
}

fn string_after(rest: &[u8]) -> Option<String> {
    let start = rest.iter().position(|b| !b.is_ascii_whitespace())?;
    match rest[start] {
        b'(' => {
            let end = start + rest[start..].iter().position(|b| *b == b')')?;
            Some(String::from_utf8_lossy(&rest[start + 1..end]).into_owned())
        }
        b'<' if rest.get(start + 1) != Some(&b'<') => {
            let end = start + rest[start..].iter().position(|b| *b == b'>')?;
            let raw = hex::decode(trim_hex(&rest[start + 1..end])).ok()?;
            if raw.starts_with(&[0xFE, 0xFF]) {
                let units: Vec<u16> = raw[2..]
                    .chunks_exact(2)
                    .map(|c| u16::from_be_bytes([c[0], c[1]]))
                    .collect();
                Some(String::from_utf16_lossy(&units))
            } else {
                Some(String::from_utf8_lossy(&raw).into_owned())
            }
        }
        _ => None,
    }
}

/// Checks every signature in `pdf` against `roots`. An unsigned PDF gives
/// an empty list.
pub fn check(pdf: &[u8], roots: &[Certificate]) -> Result<Vec<SignatureCheck>, VerifyError> {
    if !pdf.starts_with(b"%PDF-") {
        return Err(VerifyError::NotPdf);
    }
    let tail = &pdf[pdf.len().saturating_sub(1024)..];
    if find_all(tail, b"%%EOF").is_empty() {
        return Err(VerifyError::Truncated);
    }
    let places = find_all(pdf, b"/ByteRange");
    if places.len() > MAX_SIGNATURES {
        return Err(VerifyError::TooManySignatures);
    }
    let mut checks = Vec::new();
    for at in places {
        // A byte range that cannot be read belongs to a damaged signature.
        checks.push(match parse_ranges(pdf, at) {
            Some(ranges) => check_one(pdf, at, ranges, roots),
            None => broken("unreadable byte range"),
        });
    }
    Ok(checks)
}

fn broken(reason: &str) -> SignatureCheck {
    SignatureCheck {
        intact: false,
        signature_valid: false,
        covers_whole_file: false,
        trust: Trust::UnknownIssuer,
        signer_name: String::new(),
        signer_identifier: String::new(),
        signer_position: String::new(),
        signer_organization: String::new(),
        certificate_serial: String::new(),
        signed_at: None,
        reason: Some(reason.to_owned()),
    }
}

fn check_one(pdf: &[u8], at: usize, ranges: [usize; 4], roots: &[Certificate]) -> SignatureCheck {
    let [start, first_len, second_start, second_len] = ranges;
    let first_end = start.saturating_add(first_len);
    let second_end = second_start.saturating_add(second_len);
    if start != 0 || first_end >= second_start || second_end > pdf.len() {
        return broken("byte ranges outside the file");
    }
    let gap = &pdf[first_end..second_start];
    if gap.len() < 2 || gap[0] != b'<' || gap[gap.len() - 1] != b'>' {
        return broken("signature contents not found");
    }
    let Ok(der) = hex::decode(trim_hex(&gap[1..gap.len() - 1])) else {
        return broken("signature contents are not hexadecimal");
    };
    let Some(der) = der_prefix(&der) else {
        return broken("signature contents are not DER");
    };
    let parsed = ContentInfo::from_der(der)
        .ok()
        .and_then(|info| info.content.decode_as::<SignedData>().ok());
    let Some(signed) = parsed else {
        return broken("signature contents are not a CMS SignedData");
    };
    let mut result = examine(pdf, &ranges, &signed, roots);
    result.covers_whole_file = second_end == pdf.len();
    // The dictionary's other entries sit near its /ByteRange key, on either
    // side of the /Contents string.
    result.signed_at = literal_near(pdf, at, b"/M", 40 * 1024);
    result
}

fn trim_hex(hex: &[u8]) -> Vec<u8> {
    let mut out: Vec<u8> = hex
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    if out.len() % 2 == 1 {
        out.push(b'0');
    }
    out
}

/// Cuts the zero padding after the first DER element.
fn der_prefix(bytes: &[u8]) -> Option<&[u8]> {
    if bytes.len() < 2 || bytes[0] != 0x30 {
        return None;
    }
    let first = bytes[1] as usize;
    let (header, len) = if first < 0x80 {
        (2, first)
    } else {
        let count = first & 0x7F;
        if count == 0 || count > 4 || bytes.len() < 2 + count {
            return None;
        }
        let len = bytes[2..2 + count]
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | *b as usize);
        (2 + count, len)
    };
    bytes.get(..header + len)
}

fn examine(
    pdf: &[u8],
    ranges: &[usize; 4],
    signed: &SignedData,
    roots: &[Certificate],
) -> SignatureCheck {
    let Some(info) = signed.signer_infos.0.iter().next() else {
        return broken("no signer in the signature");
    };
    let certificates: Vec<&Certificate> = signed
        .certificates
        .iter()
        .flat_map(|set| set.0.iter())
        .filter_map(|choice| match choice {
            cms::cert::CertificateChoices::Certificate(c) => Some(c),
            _ => None,
        })
        .collect();
    let signer = certificates.iter().find(|c| match &info.sid {
        SignerIdentifier::IssuerAndSerialNumber(id) => {
            c.tbs_certificate.serial_number == id.serial_number
                && c.tbs_certificate.issuer == id.issuer
        }
        SignerIdentifier::SubjectKeyIdentifier(_) => true,
    });
    let Some(signer) = signer else {
        return broken("the signer's certificate is missing");
    };
    let mut result = broken("");
    result.reason = None;
    fill_subject(&mut result, signer);
    result.certificate_serial = hex::encode(signer.tbs_certificate.serial_number.as_bytes());

    let content = [
        &pdf[ranges[0]..ranges[0] + ranges[1]],
        &pdf[ranges[2]..ranges[2] + ranges[3]],
    ];
    let digest = match info.digest_alg.oid {
        SHA256 => hash::<Sha256>(&content),
        SHA384 => hash::<Sha384>(&content),
        SHA512 => hash::<Sha512>(&content),
        _ => {
            result.reason = Some("unsupported digest algorithm".into());
            return result;
        }
    };
    let Some(attrs) = &info.signed_attrs else {
        result.reason = Some("no signed attributes".into());
        return result;
    };
    let signed_digest = attrs
        .iter()
        .find(|a| a.oid == MESSAGE_DIGEST)
        .and_then(|a| a.values.iter().next())
        .and_then(|v| v.decode_as::<der::asn1::OctetString>().ok());
    result.intact = signed_digest.is_some_and(|d| d.as_bytes() == digest.as_slice());

    let Ok(message) = attrs.to_der() else {
        return result;
    };
    let algorithm =
        signature_algorithm(&info.signature_algorithm.oid, &info.digest_alg.oid, signer);
    result.signature_valid =
        algorithm.is_some_and(|alg| verify_with(signer, alg, &message, info.signature.as_bytes()));
    result.trust = trust(signer, roots);
    result
}

fn hash<D: Digest>(parts: &[&[u8]]) -> Vec<u8> {
    let mut hasher = D::new();
    for part in parts {
        hasher.update(part);
    }
    hasher.finalize().to_vec()
}

fn signature_algorithm(
    signature: &ObjectIdentifier,
    digest: &ObjectIdentifier,
    key_holder: &Certificate,
) -> Option<&'static dyn VerificationAlgorithm> {
    let key_alg = &key_holder.tbs_certificate.subject_public_key_info.algorithm;
    let curve = key_alg
        .parameters
        .as_ref()
        .and_then(|p| p.decode_as::<ObjectIdentifier>().ok());
    match (*signature, *digest) {
        (RSA, SHA256) | (RSA_SHA256, _) => Some(&signature::RSA_PKCS1_2048_8192_SHA256),
        (RSA, SHA384) | (RSA_SHA384, _) => Some(&signature::RSA_PKCS1_2048_8192_SHA384),
        (RSA, SHA512) | (RSA_SHA512, _) => Some(&signature::RSA_PKCS1_2048_8192_SHA512),
        (ECDSA_SHA256, _) | (EC_PUBLIC_KEY, SHA256) if curve == Some(P256) => {
            Some(&signature::ECDSA_P256_SHA256_ASN1)
        }
        (ECDSA_SHA384, _) | (EC_PUBLIC_KEY, SHA384) if curve == Some(P384) => {
            Some(&signature::ECDSA_P384_SHA384_ASN1)
        }
        _ => None,
    }
}

fn verify_with(
    key_holder: &Certificate,
    algorithm: &'static dyn VerificationAlgorithm,
    message: &[u8],
    signature_bytes: &[u8],
) -> bool {
    let key = key_holder
        .tbs_certificate
        .subject_public_key_info
        .subject_public_key
        .raw_bytes();
    UnparsedPublicKey::new(algorithm, key)
        .verify(message, signature_bytes)
        .is_ok()
}

fn trust(signer: &Certificate, roots: &[Certificate]) -> Trust {
    let Ok(tbs) = signer.tbs_certificate.to_der() else {
        return Trust::UnknownIssuer;
    };
    let issued = roots.iter().any(|root| {
        root.tbs_certificate.subject == signer.tbs_certificate.issuer
            && signature_algorithm(&signer.signature_algorithm.oid, &SHA256, root)
                .is_some_and(|alg| verify_with(root, alg, &tbs, signer.signature.raw_bytes()))
    });
    if !issued {
        return Trust::UnknownIssuer;
    }
    let now = OffsetDateTime::now_utc().unix_timestamp();
    let validity = &signer.tbs_certificate.validity;
    let from = validity.not_before.to_unix_duration().as_secs() as i64;
    let until = validity.not_after.to_unix_duration().as_secs() as i64;
    if now < from || now > until {
        Trust::Expired
    } else {
        Trust::Trusted
    }
}

fn fill_subject(result: &mut SignatureCheck, certificate: &Certificate) {
    for rdn in certificate.tbs_certificate.subject.0.iter() {
        for atv in rdn.0.iter() {
            let value = atv
                .value
                .decode_as::<der::asn1::Utf8StringRef<'_>>()
                .map(|s| s.as_str().to_owned())
                .or_else(|_| {
                    atv.value
                        .decode_as::<der::asn1::PrintableStringRef<'_>>()
                        .map(|s| s.as_str().to_owned())
                })
                .unwrap_or_default();
            match atv.oid {
                COMMON_NAME => result.signer_name = value,
                SERIAL_NUMBER => result.signer_identifier = value,
                TITLE => result.signer_position = value,
                ORGANIZATION => result.signer_organization = value,
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn many_signatures_are_refused() {
        let mut pdf = b"%PDF-1.7\n".to_vec();
        for _ in 0..=MAX_SIGNATURES {
            pdf.extend_from_slice(b"<< /ByteRange [0 10 20 30] >>\n");
        }
        pdf.extend_from_slice(b"%%EOF\n");
        assert_eq!(check(&pdf, &[]).err(), Some(VerifyError::TooManySignatures));
    }

    #[test]
    fn unreadable_byte_range_is_broken() {
        let pdf = b"%PDF-1.7\n<< /ByteRange [0 -5 20] >>\n%%EOF\n";
        let checks = check(pdf, &[]).expect("readable file");
        assert_eq!(checks.len(), 1);
        assert!(!checks[0].intact);
        assert!(!checks[0].valid());
    }
}
