//! Letter PDFs: typesetting with typst, PAdES signatures, the
//! installation's certificate authority, verification, and the client for
//! BSrE's signing service.
//!
//! Nothing here knows about HTTP routes or SQL; the web crate feeds it
//! letter data and stores what it returns.

pub mod bsre;
pub mod ca;
pub mod cms;
pub mod render;
pub mod sign;
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
