//! PAdES signing by incremental update: the rendered PDF stays byte for
//! byte at the front of the file, and a signature dictionary, a signature
//! field and an updated catalog are appended after it.

use aws_lc_rs::rsa::KeyPair;
use lopdf::{Dictionary, IncrementalDocument, Object, ObjectId, StringFormat};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use x509_cert::Certificate;

use crate::cms::{CmsError, signed_data};

/// Bytes reserved for the DER signature inside `/Contents`.
const SIGNATURE_SPACE: usize = 8192;
/// A placeholder that keeps the `/ByteRange` array wide enough for any
/// offset up to 10 GB; the real numbers are written over it.
const PLACEHOLDER: i64 = 9_999_999_999;

/// Errors from signing a PDF.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    #[error("the PDF could not be read: {0}")]
    Parse(#[from] lopdf::Error),
    #[error("the signed PDF could not be written: {0}")]
    Write(#[from] std::io::Error),
    #[error("the PDF has no page")]
    NoPage,
    #[error("the signature placeholder was not found in the output")]
    Placeholder,
    #[error("the signature is larger than the reserved space")]
    TooLarge,
    #[error(transparent)]
    Cms(#[from] CmsError),
}

/// Entries of the signature dictionary besides the signature itself.
#[derive(Clone, Debug)]
pub struct SignatureFields {
    pub signer_name: String,
    pub reason: String,
    pub location: String,
    pub signed_at: OffsetDateTime,
}

/// A key with its certificate and the certificates that issued it.
pub struct SigningIdentity {
    pub key: KeyPair,
    pub certificate: Certificate,
    pub chain: Vec<Certificate>,
}

fn pdf_date(at: OffsetDateTime) -> String {
    let offset = at.offset();
    let (h, m, _) = offset.as_hms();
    let sign = if offset.is_negative() { '-' } else { '+' };
    format!(
        "D:{:04}{:02}{:02}{:02}{:02}{:02}{}{:02}'{:02}'",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second(),
        sign,
        h.unsigned_abs(),
        m.unsigned_abs()
    )
}

fn text(value: &str) -> Object {
    // UTF-16BE with a byte-order mark, so names with any letter survive.
    let mut bytes = vec![0xFE, 0xFF];
    for unit in value.encode_utf16() {
        bytes.extend_from_slice(&unit.to_be_bytes());
    }
    Object::String(bytes, StringFormat::Hexadecimal)
}

fn resolve_dict(
    doc: &IncrementalDocument,
    object: &Object,
) -> Option<(Option<ObjectId>, Dictionary)> {
    match object {
        Object::Dictionary(d) => Some((None, d.clone())),
        Object::Reference(id) => doc
            .get_prev_documents()
            .get_dictionary(*id)
            .ok()
            .map(|d| (Some(*id), d.clone())),
        _ => None,
    }
}

/// Signs `pdf` and returns the signed file.
pub fn sign_pdf(
    pdf: &[u8],
    identity: &SigningIdentity,
    fields: &SignatureFields,
) -> Result<Vec<u8>, SignError> {
    let previous = lopdf::Document::load_mem(pdf)?;
    let last_page = previous
        .get_pages()
        .into_values()
        .next_back()
        .ok_or(SignError::NoPage)?;
    let catalog_id = previous
        .trailer
        .get(b"Root")
        .and_then(Object::as_reference)?;
    let mut doc = IncrementalDocument::create_from(pdf.to_vec(), previous);

    let sig_id = doc.new_document.new_object_id();
    let mut sig = Dictionary::new();
    sig.set("Type", Object::Name(b"Sig".to_vec()));
    sig.set("Filter", Object::Name(b"Adobe.PPKLite".to_vec()));
    sig.set("SubFilter", Object::Name(b"ETSI.CAdES.detached".to_vec()));
    sig.set(
        "ByteRange",
        Object::Array(vec![
            Object::Integer(0),
            Object::Integer(PLACEHOLDER),
            Object::Integer(PLACEHOLDER),
            Object::Integer(PLACEHOLDER),
        ]),
    );
    sig.set(
        "Contents",
        Object::String(vec![0u8; SIGNATURE_SPACE], StringFormat::Hexadecimal),
    );
    sig.set("M", Object::string_literal(pdf_date(fields.signed_at)));
    sig.set("Name", text(&fields.signer_name));
    sig.set("Reason", text(&fields.reason));
    sig.set("Location", text(&fields.location));
    doc.new_document.set_object(sig_id, Object::Dictionary(sig));

    // An invisible signature field on the last page; the visible mark (QR
    // code and statement) is page content the signature covers.
    let field_id = doc.new_document.new_object_id();
    let mut field = Dictionary::new();
    field.set("Type", Object::Name(b"Annot".to_vec()));
    field.set("Subtype", Object::Name(b"Widget".to_vec()));
    field.set("FT", Object::Name(b"Sig".to_vec()));
    field.set("T", text(&format!("Serasi-{}", sig_id.0)));
    field.set("V", Object::Reference(sig_id));
    field.set("F", Object::Integer(132));
    field.set("P", Object::Reference(last_page));
    field.set(
        "Rect",
        Object::Array(vec![0.into(), 0.into(), 0.into(), 0.into()]),
    );
    doc.new_document
        .set_object(field_id, Object::Dictionary(field));

    doc.opt_clone_object_to_new_document(last_page)?;
    let annots = doc
        .get_prev_documents()
        .get_dictionary(last_page)?
        .get(b"Annots")
        .ok()
        .cloned();
    let mut list = match annots {
        Some(Object::Array(items)) => items,
        Some(Object::Reference(id)) => doc
            .get_prev_documents()
            .get_object(id)
            .ok()
            .and_then(|o| o.as_array().ok().cloned())
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    list.push(Object::Reference(field_id));
    doc.new_document
        .get_dictionary_mut(last_page)?
        .set("Annots", Object::Array(list));

    doc.opt_clone_object_to_new_document(catalog_id)?;
    let existing_form = doc
        .get_prev_documents()
        .get_dictionary(catalog_id)?
        .get(b"AcroForm")
        .ok()
        .cloned()
        .and_then(|o| resolve_dict(&doc, &o));
    let mut form = existing_form.map(|(_, d)| d).unwrap_or_default();
    let mut fields_list = match form.get(b"Fields") {
        Ok(Object::Array(items)) => items.clone(),
        _ => Vec::new(),
    };
    fields_list.push(Object::Reference(field_id));
    form.set("Fields", Object::Array(fields_list));
    form.set("SigFlags", Object::Integer(3));
    doc.new_document
        .get_dictionary_mut(catalog_id)?
        .set("AcroForm", Object::Dictionary(form));

    let mut out = Vec::with_capacity(pdf.len() + 2 * SIGNATURE_SPACE + 4096);
    doc.save_to(&mut out)?;
    fill_signature(out, pdf.len(), identity)
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    haystack
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// Writes the byte ranges and the CMS signature into the placeholders of
/// the appended signature dictionary, which lies after `previous_len`.
fn fill_signature(
    mut out: Vec<u8>,
    previous_len: usize,
    identity: &SigningIdentity,
) -> Result<Vec<u8>, SignError> {
    let zeros = vec![b'0'; SIGNATURE_SPACE * 2];
    let contents_hex = find(&out, &zeros, previous_len).ok_or(SignError::Placeholder)?;
    // `<` before the hex digits and `>` after them belong to the excluded gap.
    let gap_start = contents_hex - 1;
    let gap_end = contents_hex + zeros.len() + 1;
    if out.get(gap_start) != Some(&b'<') || out.get(gap_end - 1) != Some(&b'>') {
        return Err(SignError::Placeholder);
    }
    let placeholder = format!("[0 {PLACEHOLDER} {PLACEHOLDER} {PLACEHOLDER}]");
    let range_at =
        find(&out, placeholder.as_bytes(), previous_len).ok_or(SignError::Placeholder)?;
    let ranges = format!("[0 {} {} {}]", gap_start, gap_end, out.len() - gap_end);
    let padded = format!("{ranges:<width$}", width = placeholder.len());
    out[range_at..range_at + padded.len()].copy_from_slice(padded.as_bytes());

    let mut hasher = Sha256::new();
    hasher.update(&out[..gap_start]);
    hasher.update(&out[gap_end..]);
    let digest: [u8; 32] = hasher.finalize().into();
    let der = signed_data(
        &digest,
        &identity.key,
        &identity.certificate,
        &identity.chain,
    )?;
    if der.len() > SIGNATURE_SPACE {
        return Err(SignError::TooLarge);
    }
    let hex = hex::encode_upper(&der);
    out[contents_hex..contents_hex + hex.len()].copy_from_slice(hex.as_bytes());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pdf_dates_carry_the_offset() {
        let at = time::macros::datetime!(2026-12-04 09:05:00 +07:00);
        assert_eq!(pdf_date(at), "D:20261204090500+07'00'");
    }
}
