//! The life of an official document (*naskah dinas*) as a state machine:
//! draft, initials (*paraf*) up the chain, signature, cancellation. Only
//! the declared transitions exist; anything else is an error that names
//! the current state.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Stage of a document in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentState {
    /// *Konsep*: the author is writing it.
    Draft,
    /// Waiting for initials from the review chain.
    InReview,
    /// A reviewer sent it back to the author with comments.
    Returned,
    /// Every initial is given; waiting for the signer.
    ReadyToSign,
    /// Signed and numbered; delivered to its addressees.
    Signed,
    /// Withdrawn. A signed document keeps its number in the cancellation log.
    Cancelled,
}

impl DocumentState {
    pub fn as_str(&self) -> &'static str {
        match self {
            DocumentState::Draft => "draft",
            DocumentState::InReview => "in_review",
            DocumentState::Returned => "returned",
            DocumentState::ReadyToSign => "ready_to_sign",
            DocumentState::Signed => "signed",
            DocumentState::Cancelled => "cancelled",
        }
    }
}

impl fmt::Display for DocumentState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Something a person does to a document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DocumentAction {
    /// The author changes the text or metadata.
    Edit,
    /// The author sends it to the review chain; `has_reviewers` is false
    /// when the chain is empty and it goes straight to the signer.
    Submit { has_reviewers: bool },
    /// A reviewer initials; `last` is true for the final pending initial.
    Initial { last: bool },
    /// A reviewer (or the signer) sends it back to the author.
    Return,
    /// The signer signs; this is when the number is assigned.
    Sign,
    /// The author withdraws an unsigned document, or the signer or an
    /// administrator cancels a signed one.
    Cancel,
}

impl DocumentAction {
    pub fn as_str(&self) -> &'static str {
        match self {
            DocumentAction::Edit => "edit",
            DocumentAction::Submit { .. } => "submit",
            DocumentAction::Initial { .. } => "initial",
            DocumentAction::Return => "return",
            DocumentAction::Sign => "sign",
            DocumentAction::Cancel => "cancel",
        }
    }
}

/// An action the current state does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("cannot {} a document that is {state}", action.as_str())]
pub struct TransitionError {
    pub state: DocumentState,
    pub action: DocumentAction,
}

/// Returns the state after `action`, or the error naming the current state.
pub fn next_state(
    state: DocumentState,
    action: DocumentAction,
) -> Result<DocumentState, TransitionError> {
    use DocumentAction as A;
    use DocumentState as S;
    let next = match (state, action) {
        (S::Draft | S::Returned, A::Edit) => state,
        (
            S::Draft | S::Returned,
            A::Submit {
                has_reviewers: true,
            },
        ) => S::InReview,
        (
            S::Draft | S::Returned,
            A::Submit {
                has_reviewers: false,
            },
        ) => S::ReadyToSign,
        (S::InReview, A::Initial { last: false }) => S::InReview,
        (S::InReview, A::Initial { last: true }) => S::ReadyToSign,
        (S::InReview | S::ReadyToSign, A::Return) => S::Returned,
        (S::ReadyToSign, A::Sign) => S::Signed,
        (S::Draft | S::InReview | S::Returned | S::ReadyToSign | S::Signed, A::Cancel) => {
            S::Cancelled
        }
        _ => return Err(TransitionError { state, action }),
    };
    Ok(next)
}

/// Declares a closed set of labels stored and sent as snake_case strings.
macro_rules! labels {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vdoc])* $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(&self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = ();

            fn from_str(s: &str) -> Result<Self, ()> {
                match s.trim() {
                    $($text => Ok($name::$variant),)+
                    _ => Err(()),
                }
            }
        }
    };
}

pub(crate) use labels;

labels!(
    /// Security class (*klasifikasi keamanan*): who may see the document.
    SecurityClass {
        /// Biasa (B): open within the government.
        Ordinary = "biasa",
        /// Terbatas (T): restricted.
        Restricted = "terbatas",
        /// Rahasia (R): secret; only the named people.
        Secret = "rahasia",
        /// Sangat Rahasia (SR): top secret; only the named people.
        TopSecret = "sangat_rahasia",
    }
);

impl SecurityClass {
    /// Returns the code printed on the envelope and the document: B, T, R
    /// or SR.
    pub fn code(&self) -> &'static str {
        match self {
            SecurityClass::Ordinary => "B",
            SecurityClass::Restricted => "T",
            SecurityClass::Secret => "R",
            SecurityClass::TopSecret => "SR",
        }
    }

    /// Rahasia and Sangat Rahasia are visible to named people only.
    pub fn is_confidential(&self) -> bool {
        matches!(self, SecurityClass::Secret | SecurityClass::TopSecret)
    }
}

labels!(
    /// Speed of handling (*sifat*).
    Urgency {
        Ordinary = "biasa",
        Urgent = "segera",
        VeryUrgent = "sangat_segera",
    }
);

labels!(
    /// Layout of a kind of document.
    Layout {
        /// Nomor / Sifat / Lampiran / Hal block and a "Yth." addressee.
        Letter = "letter",
        /// A centred title such as SURAT TUGAS; no addressee block.
        Title = "title",
    }
);

labels!(
    /// Whose authority a kind of document is signed under.
    SignerLevel {
        /// The Bupati, head of the regency.
        Regent = "regent",
        /// Head of the agency, kecamatan or village the author works in.
        AgencyHead = "agency_head",
        /// Head of the author's own organisation (a unit or above).
        UnitHead = "unit_head",
    }
);

labels!(
    /// Scope a numbering series counts in, besides organisation and year.
    SeriesScope {
        /// One series for every kind and code of the organisation.
        Organization = "organization",
        /// A separate series per kind of document.
        Kind = "kind",
        /// A separate series per classification code.
        Classification = "classification",
    }
);

/// A kind of document (*jenis naskah dinas*), configurable per installation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentKind {
    /// Stable code such as `nota_dinas`.
    pub code: String,
    pub name: String,
    /// Short code usable in numbers, such as `ND`.
    pub abbreviation: String,
    pub layout: Layout,
    pub signer_level: SignerLevel,
    /// Numbering template, such as `{classification}/{serial:03}/{unit}/{year}`.
    pub number_template: String,
    pub series_scope: SeriesScope,
    /// Retired kinds stay on their documents but are not offered for new
    /// drafts.
    pub active: bool,
}

/// Raw input for a new or changed kind.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct KindInput {
    pub code: String,
    pub name: String,
    pub abbreviation: String,
    pub layout: String,
    pub signer_level: String,
    pub number_template: String,
    pub series_scope: String,
    pub active: bool,
}

/// Invalid input for a kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KindError {
    #[error("{field} is required")]
    Required { field: &'static str },
    #[error("{field} is longer than {max} characters")]
    TooLong { field: &'static str, max: usize },
    #[error("kind code {0:?} is invalid: use 2 to 40 lowercase letters, digits or underscores")]
    Code(String),
    #[error("{field} has an unknown value {value:?}")]
    UnknownValue { field: &'static str, value: String },
    #[error(transparent)]
    Template(#[from] crate::numbering::TemplateError),
}

impl KindError {
    pub fn field(&self) -> &'static str {
        match self {
            KindError::Required { field }
            | KindError::TooLong { field, .. }
            | KindError::UnknownValue { field, .. } => field,
            KindError::Code(_) => "code",
            KindError::Template(_) => "number_template",
        }
    }
}

impl KindInput {
    /// Checks the input, including that the template's numbers of
    /// different series can never look alike.
    pub fn validate(&self) -> Result<DocumentKind, KindError> {
        let text = |field: &'static str, value: &str, max: usize| {
            let value = value.trim();
            if value.is_empty() {
                return Err(KindError::Required { field });
            }
            if value.chars().count() > max || value.chars().any(char::is_control) {
                return Err(KindError::TooLong { field, max });
            }
            Ok(value.to_owned())
        };
        let code = self.code.trim();
        let code_ok = (2..=40).contains(&code.len())
            && code
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !code_ok {
            return Err(KindError::Code(code.to_owned()));
        }
        let parse = |field: &'static str, value: &str| KindError::UnknownValue {
            field,
            value: value.trim().to_owned(),
        };
        let kind = DocumentKind {
            code: code.to_owned(),
            name: text("name", &self.name, 200)?,
            abbreviation: text("abbreviation", &self.abbreviation, 20)?,
            layout: self
                .layout
                .parse()
                .map_err(|()| parse("layout", &self.layout))?,
            signer_level: self
                .signer_level
                .parse()
                .map_err(|()| parse("signer_level", &self.signer_level))?,
            number_template: text("number_template", &self.number_template, 200)?,
            series_scope: self
                .series_scope
                .parse()
                .map_err(|()| parse("series_scope", &self.series_scope))?,
            active: self.active,
        };
        crate::numbering::NumberTemplate::parse(&kind.number_template)?
            .check_scope(kind.series_scope)?;
        Ok(kind)
    }
}

/// An addressee or copy holder.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Recipient {
    /// The holder of the position (or its acting official) when the letter is signed.
    Position { position_id: crate::PositionId },
    /// The head of the organisation when the letter is signed.
    Organization {
        organization_id: crate::OrganizationId,
    },
    /// Someone outside the system; sent by hand and listed in the dispatch
    /// register.
    External {
        name: String,
        #[serde(default)]
        address: Option<String>,
    },
}

/// Invalid draft input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DraftError {
    #[error("{field} is required")]
    Required { field: &'static str },
    #[error("{field} is longer than {max} characters")]
    TooLong { field: &'static str, max: usize },
    #[error("{field} contains a control character")]
    ControlCharacter { field: &'static str },
    #[error("{field} has an unknown value {value:?}")]
    UnknownValue { field: &'static str, value: String },
    #[error("{field} lists more than {max} entries")]
    TooMany { field: &'static str, max: usize },
    #[error("{field} names the same recipient twice")]
    DuplicateRecipient { field: &'static str },
    #[error("a letter needs at least one addressee")]
    NoAddressee,
    #[error("the attachment count must be between 0 and 999")]
    AttachmentCount,
    #[error("classification code {0:?} is malformed")]
    Classification(String),
}

impl DraftError {
    /// Returns the input field the error is about.
    pub fn field(&self) -> &'static str {
        match self {
            DraftError::Required { field }
            | DraftError::TooLong { field, .. }
            | DraftError::ControlCharacter { field }
            | DraftError::UnknownValue { field, .. }
            | DraftError::TooMany { field, .. }
            | DraftError::DuplicateRecipient { field } => field,
            DraftError::NoAddressee => "addressees",
            DraftError::AttachmentCount => "attachment_count",
            DraftError::Classification(_) => "classification",
        }
    }
}

/// Maximum subject (*hal*) length in characters.
pub const MAX_SUBJECT: usize = 500;
/// Maximum body length in characters.
pub const MAX_BODY: usize = 200_000;
/// Most addressees or copy holders on one document.
pub const MAX_RECIPIENTS: usize = 200;

/// Raw draft input from a form or the API.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct DraftInput {
    pub kind: String,
    pub classification: String,
    pub security: Option<String>,
    pub urgency: Option<String>,
    pub subject: String,
    pub attachment_count: Option<i64>,
    pub addressees: Vec<Recipient>,
    pub copies: Vec<Recipient>,
    pub body: String,
    pub signer_position_id: Option<crate::PositionId>,
    /// Hierarchical initials, in order; `None` takes the default chain.
    pub reviewers: Option<Vec<crate::PositionId>>,
    /// Coordination initials from other units, in any order.
    pub coordinators: Vec<crate::PositionId>,
}

/// Validated draft fields. Whether the kind, code, positions and
/// organisations exist is checked by the store, which can see them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DraftFields {
    pub kind: String,
    pub classification: String,
    pub security: SecurityClass,
    pub urgency: Urgency,
    pub subject: String,
    pub attachment_count: u16,
    pub addressees: Vec<Recipient>,
    pub copies: Vec<Recipient>,
    pub body: String,
    pub signer_position_id: Option<crate::PositionId>,
    pub reviewers: Option<Vec<crate::PositionId>>,
    pub coordinators: Vec<crate::PositionId>,
}

fn text(field: &'static str, value: &str, max: usize) -> Result<String, DraftError> {
    let trimmed = value.trim();
    if trimmed.chars().any(char::is_control) {
        return Err(DraftError::ControlCharacter { field });
    }
    if trimmed.is_empty() {
        return Err(DraftError::Required { field });
    }
    if trimmed.chars().count() > max {
        return Err(DraftError::TooLong { field, max });
    }
    Ok(trimmed.to_owned())
}

fn label<T: std::str::FromStr>(
    field: &'static str,
    value: Option<&str>,
    default: T,
) -> Result<T, DraftError> {
    match value.map(str::trim) {
        None | Some("") => Ok(default),
        Some(v) => v.parse().map_err(|_| DraftError::UnknownValue {
            field,
            value: v.to_owned(),
        }),
    }
}

fn recipients(field: &'static str, list: &[Recipient]) -> Result<Vec<Recipient>, DraftError> {
    if list.len() > MAX_RECIPIENTS {
        return Err(DraftError::TooMany {
            field,
            max: MAX_RECIPIENTS,
        });
    }
    let mut out = Vec::with_capacity(list.len());
    for recipient in list {
        let clean = match recipient {
            Recipient::External { name, address } => Recipient::External {
                name: text(field, name, 200)?,
                address: match address.as_deref().map(str::trim) {
                    None | Some("") => None,
                    Some(a) => Some(text(field, a, 300)?),
                },
            },
            other => other.clone(),
        };
        if out.contains(&clean) {
            return Err(DraftError::DuplicateRecipient { field });
        }
        out.push(clean);
    }
    Ok(out)
}

impl DraftInput {
    /// Checks the input on its own. `layout` is the kind's layout, which
    /// decides whether an addressee is required.
    pub fn validate(&self, layout: Layout) -> Result<DraftFields, DraftError> {
        let kind = self.kind.trim();
        if kind.is_empty() {
            return Err(DraftError::Required { field: "kind" });
        }
        let classification = self.classification.trim();
        if classification.is_empty() {
            return Err(DraftError::Required {
                field: "classification",
            });
        }
        crate::classification::ClassificationCode::parse(classification)
            .map_err(|_| DraftError::Classification(classification.to_owned()))?;
        let body = self.body.trim();
        if body.chars().count() > MAX_BODY {
            return Err(DraftError::TooLong {
                field: "body",
                max: MAX_BODY,
            });
        }
        if body
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
        {
            return Err(DraftError::ControlCharacter { field: "body" });
        }
        let attachment_count = match self.attachment_count.unwrap_or(0) {
            n @ 0..=999 => u16::try_from(n).map_err(|_| DraftError::AttachmentCount)?,
            _ => return Err(DraftError::AttachmentCount),
        };
        let addressees = recipients("addressees", &self.addressees)?;
        if layout == Layout::Letter && addressees.is_empty() {
            return Err(DraftError::NoAddressee);
        }
        let copies = recipients("copies", &self.copies)?;
        let reviewers = self.reviewers.clone();
        if reviewers.as_ref().is_some_and(|r| r.len() > 10) || self.coordinators.len() > 10 {
            return Err(DraftError::TooMany {
                field: "reviewers",
                max: 10,
            });
        }
        Ok(DraftFields {
            kind: kind.to_owned(),
            classification: classification.to_owned(),
            security: label(
                "security",
                self.security.as_deref(),
                SecurityClass::Ordinary,
            )?,
            urgency: label("urgency", self.urgency.as_deref(), Urgency::Ordinary)?,
            subject: text("subject", &self.subject, MAX_SUBJECT)?,
            attachment_count,
            addressees,
            copies,
            body: body.replace("\r\n", "\n"),
            signer_position_id: self.signer_position_id,
            reviewers,
            coordinators: self.coordinators.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    fn input() -> DraftInput {
        DraftInput {
            kind: "nota_dinas".into(),
            classification: "000.1.2".into(),
            subject: " Rapat koordinasi ".into(),
            body: "Dengan hormat,\r\nkami mengundang.".into(),
            addressees: vec![Recipient::External {
                name: "Kepala Desa".into(),
                address: None,
            }],
            ..DraftInput::default()
        }
    }

    #[test]
    fn draft_defaults_and_cleaning() {
        let fields = input().validate(Layout::Letter).expect("valid");
        assert_eq!(fields.subject, "Rapat koordinasi");
        assert_eq!(fields.security, SecurityClass::Ordinary);
        assert_eq!(fields.urgency, Urgency::Ordinary);
        assert_eq!(fields.body, "Dengan hormat,\nkami mengundang.");
    }

    #[test]
    fn draft_rejections() {
        let mut no_subject = input();
        no_subject.subject = "  ".into();
        assert_eq!(
            no_subject.validate(Layout::Letter),
            Err(DraftError::Required { field: "subject" })
        );
        let mut no_addressee = input();
        no_addressee.addressees.clear();
        assert_eq!(
            no_addressee.validate(Layout::Letter),
            Err(DraftError::NoAddressee)
        );
        assert!(no_addressee.validate(Layout::Title).is_ok());
        let mut bad_class = input();
        bad_class.security = Some("top".into());
        assert_eq!(
            bad_class.validate(Layout::Letter).expect_err("bad").field(),
            "security"
        );
        let mut twice = input();
        twice.addressees.push(twice.addressees[0].clone());
        assert_eq!(
            twice.validate(Layout::Letter),
            Err(DraftError::DuplicateRecipient {
                field: "addressees"
            })
        );
        let mut code = input();
        code.classification = "abc".into();
        assert!(matches!(
            code.validate(Layout::Letter),
            Err(DraftError::Classification(_))
        ));
        let mut count = input();
        count.attachment_count = Some(-1);
        assert_eq!(
            count.validate(Layout::Letter),
            Err(DraftError::AttachmentCount)
        );
    }

    #[test]
    fn kind_input_checked() {
        let input = KindInput {
            code: "surat_izin".into(),
            name: "Surat Izin".into(),
            abbreviation: "SI".into(),
            layout: "letter".into(),
            signer_level: "agency_head".into(),
            number_template: "{classification}/{serial:03}/{kind}/{year}".into(),
            series_scope: "kind".into(),
            active: true,
        };
        assert_eq!(input.validate().expect("valid").code, "surat_izin");
        let mut bad_code = input.clone();
        bad_code.code = "Surat Izin".into();
        assert_eq!(bad_code.validate().expect_err("code").field(), "code");
        let mut no_kind_token = input.clone();
        no_kind_token.number_template = "{serial:03}/{year}".into();
        assert_eq!(
            no_kind_token.validate().expect_err("token").field(),
            "number_template"
        );
    }

    #[test]
    fn labels_round_trip() {
        for class in SecurityClass::ALL {
            assert_eq!(class.as_str().parse::<SecurityClass>(), Ok(*class));
        }
        assert_eq!(SecurityClass::TopSecret.code(), "SR");
        assert_eq!("sangat_segera".parse::<Urgency>(), Ok(Urgency::VeryUrgent));
    }

    use super::*;
    use DocumentAction as A;
    use DocumentState as S;

    #[test]
    fn happy_path_with_two_reviewers() {
        let mut state = S::Draft;
        for action in [
            A::Edit,
            A::Submit {
                has_reviewers: true,
            },
            A::Initial { last: false },
            A::Initial { last: true },
            A::Sign,
        ] {
            state = next_state(state, action).expect("allowed");
        }
        assert_eq!(state, S::Signed);
    }

    #[test]
    fn returned_draft_goes_back_to_review() {
        let returned = next_state(S::InReview, A::Return).expect("allowed");
        assert_eq!(returned, S::Returned);
        assert_eq!(next_state(returned, A::Edit), Ok(S::Returned));
        assert_eq!(
            next_state(
                returned,
                A::Submit {
                    has_reviewers: true
                }
            ),
            Ok(S::InReview)
        );
    }

    #[test]
    fn empty_chain_goes_to_signer() {
        assert_eq!(
            next_state(
                S::Draft,
                A::Submit {
                    has_reviewers: false
                }
            ),
            Ok(S::ReadyToSign)
        );
    }

    #[test]
    fn undeclared_transitions_rejected() {
        let rejected = [
            (S::Draft, A::Sign),
            (S::Draft, A::Initial { last: true }),
            (S::InReview, A::Sign),
            (S::InReview, A::Edit),
            (S::ReadyToSign, A::Initial { last: true }),
            (S::Signed, A::Sign),
            (S::Signed, A::Edit),
            (S::Signed, A::Return),
            (S::Cancelled, A::Cancel),
            (
                S::Cancelled,
                A::Submit {
                    has_reviewers: true,
                },
            ),
        ];
        for (state, action) in rejected {
            assert_eq!(
                next_state(state, action),
                Err(TransitionError { state, action }),
                "{state} {action:?}"
            );
        }
    }

    #[test]
    fn error_names_the_state() {
        let err = next_state(S::Signed, A::Sign).expect_err("signed twice");
        assert_eq!(err.to_string(), "cannot sign a document that is signed");
    }
}
