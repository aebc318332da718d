//! Typesetting a letter to an A4 PDF with the embedded typst compiler.
//!
//! The letter's data travels as a virtual `/data.json` file that the
//! template reads with `json()`; user text is never spliced into typst
//! markup, so a subject or a table cell cannot run code. Fonts are the
//! Arimo family fetched at build time, so every machine produces the same
//! layout.

use std::collections::HashMap;
use std::sync::OnceLock;

use serasi_domain::body::Block;
use serde::Serialize;
use typst::diag::{FileError, FileResult};
use typst::foundations::{Bytes, Datetime};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};
use typst_layout::PagedDocument;

const TEMPLATE: &str = include_str!("letter.typ");
const DEFAULT_EMBLEM: &[u8] = include_bytes!("emblem.svg");
const FONT_FILES: [&[u8]; 4] = [
    include_bytes!(concat!(env!("OUT_DIR"), "/Arimo_400Regular.ttf")),
    include_bytes!(concat!(env!("OUT_DIR"), "/Arimo_700Bold.ttf")),
    include_bytes!(concat!(env!("OUT_DIR"), "/Arimo_400Regular_Italic.ttf")),
    include_bytes!(concat!(env!("OUT_DIR"), "/Arimo_700Bold_Italic.ttf")),
];

/// Largest body accepted for rendering, in bytes of text; longer bodies
/// are refused before typesetting starts.
pub const MAX_BODY_BYTES: usize = 512 * 1024;

/// Errors from rendering a letter.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("the letter body is longer than {MAX_BODY_BYTES} bytes")]
    TooLarge,
    #[error("the emblem is not a PNG, JPEG or SVG image")]
    EmblemType,
    #[error("typesetting failed: {0}")]
    Typeset(String),
    #[error("letter data could not be encoded: {0}")]
    Data(#[from] serde_json::Error),
}

/// The lines of the letterhead (*kop*).
#[derive(Clone, Debug, Default, Serialize)]
pub struct Letterhead {
    /// From the largest tier down: `PEMERINTAH KABUPATEN SEMARANG`, then
    /// the agency, or the kecamatan and the desa for a village.
    pub tiers: Vec<String>,
    /// Address, telephone, web site and e-mail, one line each.
    pub contact: Vec<String>,
    /// The emblem as PNG, JPEG or SVG bytes; the built-in emblem when empty.
    #[serde(skip)]
    pub emblem: Vec<u8>,
}

/// The visible electronic-signature stamp on a signed letter.
#[derive(Clone, Debug, Serialize)]
pub struct Stamp {
    /// The public check page the QR code opens.
    pub url: String,
    /// The statement printed beside the QR code and in the footer.
    pub statement: String,
}

/// Everything printed on a letter.
#[derive(Clone, Debug, Default, Serialize)]
pub struct LetterData {
    pub letterhead: Letterhead,
    /// `letter` or `title`.
    pub layout: String,
    /// The centred title of a title layout (for example `SURAT TUGAS`).
    pub title: String,
    /// The number, or an empty string on a draft.
    pub number: String,
    pub place: String,
    /// The Indonesian date, for example `4 Desember 2026`.
    pub date: String,
    /// The security class label, for example `Biasa`.
    pub security: String,
    /// The marking printed at the top and the bottom of every page of a
    /// classified letter (`RAHASIA`), or empty.
    pub marking: String,
    pub urgency: String,
    /// The Lampiran line, for example `1 (satu) berkas` or `-`.
    pub attachments: String,
    pub subject: String,
    pub addressees: Vec<String>,
    /// The line under "di": an external addressee's address, or `Tempat`.
    pub destination: String,
    /// The body blocks.
    pub body: Vec<Block>,
    /// The signature block lines above the signature (a.n., u.b., the
    /// signer's position).
    pub signature_lines: Vec<String>,
    pub signer_name: String,
    pub signer_rank: String,
    pub signer_nip: String,
    pub copies: Vec<String>,
    /// Whether to print the KONSEP watermark.
    pub draft: bool,
    pub stamp: Option<Stamp>,
}

struct Fonts {
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
    library: LazyHash<Library>,
}

fn fonts() -> &'static Fonts {
    static FONTS: OnceLock<Fonts> = OnceLock::new();
    FONTS.get_or_init(|| {
        let fonts: Vec<Font> = FONT_FILES
            .iter()
            .flat_map(|data| Font::iter(Bytes::new(*data)))
            .collect();
        Fonts {
            book: LazyHash::new(FontBook::from_fonts(&fonts)),
            fonts,
            library: LazyHash::new(Library::builder().build()),
        }
    })
}

fn file_id(path: &str) -> Option<FileId> {
    VirtualPath::new(path)
        .ok()
        .map(|p| FileId::new(RootedPath::new(VirtualRoot::Project, p)))
}

struct LetterWorld {
    main: FileId,
    source: Source,
    files: HashMap<FileId, Bytes>,
    today: Datetime,
}

impl World for LetterWorld {
    fn library(&self) -> &LazyHash<Library> {
        &fonts().library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &fonts().book
    }

    fn main(&self) -> FileId {
        self.main
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main {
            Ok(self.source.clone())
        } else {
            Err(FileError::NotSource)
        }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == self.main {
            return Ok(Bytes::from_string(self.source.clone()));
        }
        self.files.get(&id).cloned().ok_or(FileError::AccessDenied)
    }

    fn font(&self, index: usize) -> Option<Font> {
        fonts().fonts.get(index).cloned()
    }

    fn today(&self, _offset: Option<typst::foundations::Duration>) -> Option<Datetime> {
        Some(self.today)
    }
}

fn emblem_extension(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("jpg")
    } else {
        let head = String::from_utf8_lossy(&bytes[..bytes.len().min(512)]);
        (head.contains("<svg")).then_some("svg")
    }
}

/// Checks that `bytes` are an emblem the renderer accepts.
pub fn check_emblem(bytes: &[u8]) -> Result<(), RenderError> {
    emblem_extension(bytes)
        .map(|_| ())
        .ok_or(RenderError::EmblemType)
}

fn qr_svg(url: &str) -> Result<String, RenderError> {
    let code = qrcode::QrCode::with_error_correction_level(url, qrcode::EcLevel::M)
        .map_err(|e| RenderError::Typeset(format!("QR code: {e}")))?;
    Ok(code
        .render::<qrcode::render::svg::Color<'_>>()
        .quiet_zone(true)
        .min_dimensions(200, 200)
        .build())
}

/// Renders `letter` to PDF bytes. `date` becomes the PDF's creation date.
pub fn render(letter: &LetterData, date: time::Date) -> Result<Vec<u8>, RenderError> {
    let body_size: usize = serde_json::to_vec(&letter.body)?.len();
    if body_size > MAX_BODY_BYTES {
        return Err(RenderError::TooLarge);
    }
    let emblem: &[u8] = if letter.letterhead.emblem.is_empty() {
        DEFAULT_EMBLEM
    } else {
        &letter.letterhead.emblem
    };
    let extension = emblem_extension(emblem).ok_or(RenderError::EmblemType)?;
    let emblem_path = format!("/emblem.{extension}");

    let mut data = serde_json::to_value(letter)?;
    breakable(&mut data);
    if let Some(map) = data.as_object_mut() {
        map.insert("emblem".into(), emblem_path.clone().into());
    }
    let mut files = HashMap::new();
    let missing = || RenderError::Typeset("bad virtual path".into());
    files.insert(
        file_id("/data.json").ok_or_else(missing)?,
        Bytes::new(serde_json::to_vec(&data)?),
    );
    files.insert(
        file_id(&emblem_path).ok_or_else(missing)?,
        Bytes::new(emblem.to_vec()),
    );
    if let Some(stamp) = &letter.stamp {
        files.insert(
            file_id("/qr.svg").ok_or_else(missing)?,
            Bytes::new(qr_svg(&stamp.url)?.into_bytes()),
        );
    }
    compile_pdf(TEMPLATE, files, date, Some(letter.number.clone()))
}

/// Typesets `template` with the virtual `files` and returns the PDF bytes;
/// `date` becomes the creation date, `ident` the PDF identifier.
pub(crate) fn compile_pdf(
    template: &str,
    files: HashMap<FileId, Bytes>,
    date: time::Date,
    ident: Option<String>,
) -> Result<Vec<u8>, RenderError> {
    let missing = || RenderError::Typeset("bad virtual path".into());
    let main = file_id("/main.typ").ok_or_else(missing)?;
    let today = Datetime::from_ymd(date.year(), u8::from(date.month()), date.day())
        .ok_or_else(|| RenderError::Typeset("date out of range".into()))?;
    let world = LetterWorld {
        main,
        source: Source::new(main, template.to_owned()),
        files,
        today,
    };
    let document: PagedDocument = typst::compile(&world)
        .output
        .map_err(|errors| RenderError::Typeset(join_messages(&errors)))?;
    let options = typst_pdf::PdfOptions {
        ident: match ident {
            Some(ident) => typst::foundations::Smart::Custom(ident),
            None => typst::foundations::Smart::Auto,
        },
        creator: typst::foundations::Smart::Custom(Some("Serasi".to_owned())),
        timestamp: typst_pdf::Timestamp::new_local(today, 7 * 60),
        ..typst_pdf::PdfOptions::default()
    };
    let pdf = typst_pdf::pdf(&document, &options)
        .map_err(|errors| RenderError::Typeset(join_messages(&errors)))?;
    // Bound the memo cache that typst keeps between compilations.
    typst::comemo::evict(10);
    Ok(pdf)
}

/// Renders JSON `data` as `/data.json` into `template`, for the table and
/// sheet documents. Long words become breakable like in letters.
pub(crate) fn render_json(
    template: &str,
    data: &impl serde::Serialize,
    date: time::Date,
) -> Result<Vec<u8>, RenderError> {
    let mut value = serde_json::to_value(data)?;
    breakable(&mut value);
    let mut files = HashMap::new();
    files.insert(
        file_id("/data.json").ok_or_else(|| RenderError::Typeset("bad virtual path".into()))?,
        Bytes::new(serde_json::to_vec(&value)?),
    );
    compile_pdf(template, files, date, None)
}

/// Maximum run of characters without a space that is printed as typed.
/// Longer runs get invisible break points, so they wrap at the margin.
const MAX_WORD_CHARS: usize = 40;

/// Inserts zero-width spaces into every run of more than `MAX_WORD_CHARS`
/// non-space characters, every 20 characters, in all strings of the
/// letter data except the QR link, the statement and the number.
fn breakable(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::String(text)
            if text
                .split_whitespace()
                .any(|w| w.chars().count() > MAX_WORD_CHARS) =>
        {
            *text = break_words(text);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(breakable),
        serde_json::Value::Object(map) => {
            for (key, item) in map.iter_mut() {
                // The link must stay copyable; the number and the
                // statement break at their slashes and spaces.
                if !matches!(key.as_str(), "url" | "statement" | "number") {
                    breakable(item);
                }
            }
        }
        _ => {}
    }
}

fn break_words(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 10);
    let mut run = 0;
    for c in text.chars() {
        if c.is_whitespace() {
            run = 0;
        } else {
            if run > 0 && run % 20 == 0 {
                out.push('\u{200B}');
            }
            run += 1;
        }
        out.push(c);
    }
    out
}

fn join_messages(errors: &[typst::diag::SourceDiagnostic]) -> String {
    errors
        .iter()
        .map(|e| e.message.to_string())
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_words_get_break_points() {
        let word = "a".repeat(45);
        let broken = break_words(&format!("kata {word} pendek"));
        assert_eq!(broken.matches('\u{200B}').count(), 2);
        assert_eq!(
            broken.replace('\u{200B}', ""),
            format!("kata {word} pendek")
        );
        assert_eq!(break_words("kata biasa saja"), "kata biasa saja");
    }
}
