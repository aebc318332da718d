//! Letter PDFs: typesetting with typst, PAdES signatures, the
//! installation's certificate authority, verification, and the client for
//! BSrE's signing service.
//!
//! Nothing here uses HTTP routes or SQL. The web crate passes letter data
//! in and stores what comes back.

pub mod bsre;
pub mod ca;
pub mod cms;
pub mod render;
pub mod sign;
pub mod table;
pub mod verify;

pub use ca::{Authority, CaError, IssuedSigner, SignerSubject};
pub use render::{LetterData, Letterhead, RenderError, Stamp, render};
pub use sign::{SignError, SignatureFields, SigningIdentity, sign_pdf};
pub use verify::{SignatureCheck, Trust, VerifyError, check};

/// SHA-256 of `bytes` as lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}
