//! Translated messages for domain and store errors.

use serasi_domain::authority::{AuthorityError, DelegationError};
use serasi_domain::directory::DirectoryError;
use serasi_domain::document::{DraftError, TransitionError};
use serasi_domain::nip::NipError;
use serasi_domain::user::AccountError;
use serasi_domain::wib::format_date_id;
use serasi_store::import::RowProblem;
use serasi_store::{Conflict, DocumentRule, StoreError};

use crate::i18n::Tr;

/// Returns the translated name of an input field, as used in messages.
pub fn field_label(t: Tr, field: &str) -> String {
    translated_or(t, &format!("field-{field}"), field)
}

/// Returns the translated name of an entity such as `parent organisation`.
fn entity_label(t: Tr, entity: &str) -> String {
    translated_or(t, &format!("entity-{}", entity.replace(' ', "-")), entity)
}

fn translated_or(t: Tr, key: &str, fallback: &str) -> String {
    let text = t.get(key);
    if text == key {
        fallback.to_owned()
    } else {
        text.to_owned()
    }
}

pub fn nip_error(t: Tr, err: &NipError) -> String {
    let detail = match err {
        NipError::Length(n) => t.fmt("nip-length", &[("count", &n.to_string())]),
        NipError::NotDigits => t.get("nip-digits").to_owned(),
        NipError::BirthDate(d) => t.fmt("nip-birth-date", &[("value", d)]),
        NipError::TmtMonth(m) => t.fmt("nip-tmt", &[("value", m)]),
        NipError::TmtTooEarly { birth, tmt } => {
            t.fmt("nip-tmt-early", &[("birth", birth), ("tmt", tmt)])
        }
        NipError::Future(birth, tmt) => t.fmt("nip-future", &[("birth", birth), ("tmt", tmt)]),
        NipError::Gender(g) => t.fmt("nip-gender", &[("value", &g.to_string())]),
        NipError::Serial => t.get("nip-serial").to_owned(),
    };
    t.fmt("nip-invalid", &[("detail", &detail)])
}

pub fn directory_error(t: Tr, err: &DirectoryError) -> String {
    match err {
        DirectoryError::Required { field } => {
            t.fmt("error-required", &[("field", &field_label(t, field))])
        }
        DirectoryError::TooLong { field, max } => t.fmt(
            "error-too-long",
            &[("field", &field_label(t, field)), ("max", &max.to_string())],
        ),
        DirectoryError::Nip(e) => nip_error(t, e),
        DirectoryError::Placement { kind, parent } if parent == "root" => t.fmt(
            "error-needs-parent",
            &[("kind", t.get(&format!("kind-{kind}")))],
        ),
        DirectoryError::Placement { kind, parent } => t.fmt(
            "error-placement",
            &[
                ("kind", t.get(&format!("kind-{kind}"))),
                ("parent", t.get(&format!("kind-{parent}"))),
            ],
        ),
        DirectoryError::VillageId(v) => t.fmt("error-village-id", &[("value", v)]),
        DirectoryError::Email(v) => t.fmt("error-email", &[("value", v)]),
        DirectoryError::Phone(v) => t.fmt("error-phone", &[("value", v)]),
        DirectoryError::Code(v) => t.fmt("error-code", &[("value", v)]),
        DirectoryError::Rank(v) => t.fmt("error-rank", &[("value", v)]),
        DirectoryError::Kind(v) => t.fmt("error-kind", &[("value", v)]),
        DirectoryError::IdentifierKind(v) => t.fmt("error-identifier-kind", &[("value", v)]),
        DirectoryError::ControlCharacter { field } => {
            t.fmt("error-control", &[("field", &field_label(t, field))])
        }
    }
}

pub fn account_error(t: Tr, err: &AccountError) -> String {
    match err {
        AccountError::Username => t.get("error-username").to_owned(),
        AccountError::PasswordTooShort => t.get("error-password-short").to_owned(),
        AccountError::PasswordTooLong => t.get("error-password-long").to_owned(),
    }
}

pub fn conflict(t: Tr, conflict: &Conflict) -> String {
    match conflict {
        Conflict::OrganizationInUse => t.get("error-org-in-use").to_owned(),
        Conflict::ExportRunning => t.get("error-export-running").to_owned(),
        Conflict::KindChange { kind, child } => t.fmt(
            "error-kind-change",
            &[
                ("kind", t.get(&format!("kind-{kind}"))),
                ("child", t.get(&format!("kind-{child}"))),
            ],
        ),
        Conflict::HolderTaken => t.get("error-holder-taken").to_owned(),
        Conflict::PositionFilled(name) => t.fmt("error-position-filled", &[("name", name)]),
        Conflict::ParentPositionOutside => t.get("error-parent-position-scope").to_owned(),
        Conflict::PositionHasChildren => t.get("error-position-has-children").to_owned(),
        Conflict::OrgMoveBreaksPositions => t.get("error-org-move-breaks-positions").to_owned(),
        Conflict::SecondRegency => t.get("error-second-regency").to_owned(),
        Conflict::StaleRevision { current } => {
            t.fmt("error-stale-revision", &[("current", &current.to_string())])
        }
        Conflict::NumberTaken { number, .. } => t.fmt("error-number-taken", &[("number", number)]),
        Conflict::NumberWouldSkip { next } => t.fmt("error-number-skip", &[("next", next)]),
        Conflict::DelegationInUse => t.get("error-delegation-in-use").to_owned(),
    }
}

pub fn draft_error(t: Tr, err: &DraftError) -> String {
    let field = field_label(t, err.field());
    match err {
        DraftError::Required { .. } => t.fmt("error-required", &[("field", &field)]),
        DraftError::TooLong { max, .. } => t.fmt(
            "error-too-long",
            &[("field", &field), ("max", &max.to_string())],
        ),
        DraftError::ControlCharacter { .. } => t.fmt("error-control", &[("field", &field)]),
        DraftError::UnknownValue { value, .. } => {
            t.fmt("error-draft-value", &[("field", &field), ("value", value)])
        }
        DraftError::TooMany { max, .. } => t.fmt(
            "error-too-many",
            &[("field", &field), ("max", &max.to_string())],
        ),
        DraftError::DuplicateRecipient { .. } => {
            t.fmt("error-duplicate-recipient", &[("field", &field)])
        }
        DraftError::NoAddressee => t.get("error-no-addressee").to_owned(),
        DraftError::AttachmentCount => t.get("error-attachment-count").to_owned(),
        DraftError::Classification(v) => t.fmt("error-classification-format", &[("value", v)]),
    }
}

pub fn incoming_error(t: Tr, err: &serasi_domain::incoming::IncomingError) -> String {
    use serasi_domain::incoming::IncomingError as E;
    let field = field_label(t, err.field());
    match err {
        E::Required { .. } => t.fmt("error-required", &[("field", &field)]),
        E::TooLong { max, .. } => t.fmt(
            "error-too-long",
            &[("field", &field), ("max", &max.to_string())],
        ),
        E::ControlCharacter { .. } => t.fmt("error-control", &[("field", &field)]),
        E::UnknownValue { value, .. } => {
            t.fmt("error-draft-value", &[("field", &field), ("value", value)])
        }
        E::Classification(v) => t.fmt("error-classification-format", &[("value", v)]),
        E::FutureDate { .. } => t.fmt("error-incoming-future", &[("field", &field)]),
        E::DatedAfterArrival => t.get("error-incoming-dated-after").to_owned(),
        E::DatedTooEarly => t.fmt(
            "error-incoming-dated-early",
            &[(
                "years",
                &serasi_domain::incoming::MAX_LETTER_AGE_YEARS.to_string(),
            )],
        ),
        E::TooLate => t.fmt(
            "error-incoming-too-late",
            &[("days", &serasi_domain::incoming::MAX_LATE_DAYS.to_string())],
        ),
        E::AddresseeOutside => t.get("error-incoming-addressee").to_owned(),
        E::TooManyScans => t.get("error-incoming-scans").to_owned(),
    }
}

pub fn disposition_error(t: Tr, err: &serasi_domain::disposition::DispositionError) -> String {
    use serasi_domain::disposition::{self as d, DispositionError as E};
    let field = field_label(t, err.field());
    match err {
        E::NoRecipients => t.get("error-disposition-no-recipients").to_owned(),
        E::TooManyRecipients => t.fmt(
            "error-disposition-too-many",
            &[("max", &d::MAX_RECIPIENTS.to_string())],
        ),
        E::DuplicateRecipient => t.get("error-disposition-duplicate").to_owned(),
        E::NoInstruction => t.get("error-disposition-no-instruction").to_owned(),
        E::UnknownInstruction(v) => t.fmt("error-disposition-instruction", &[("value", v)]),
        E::TooLong { max, .. } => t.fmt(
            "error-too-long",
            &[("field", &field), ("max", &max.to_string())],
        ),
        E::ControlCharacter { .. } => t.fmt("error-control", &[("field", &field)]),
        E::BadDeadline(v) => t.fmt("error-disposition-deadline", &[("value", v)]),
        E::DeadlineInPast => t.get("error-disposition-deadline-past").to_owned(),
        E::DeadlineTooFar => t.fmt(
            "error-disposition-deadline-far",
            &[("days", &d::MAX_DEADLINE_DAYS.to_string())],
        ),
        E::UnknownUrgency(v) => t.fmt("error-disposition-urgency", &[("value", v)]),
        E::OutsideSubtree => t.get("error-disposition-outside").to_owned(),
        E::ToSelf => t.get("error-disposition-self").to_owned(),
        E::AlreadyReferred => t.get("error-disposition-already").to_owned(),
        E::NotAddressee => t.get("error-disposition-not-addressee").to_owned(),
        E::NotAllowed => t.get("error-disposition-not-allowed").to_owned(),
        E::CancelAfterRead => t.get("error-disposition-cancel-read").to_owned(),
        E::AlreadyDone => t.get("error-disposition-done").to_owned(),
        E::Cancelled => t.get("error-disposition-cancelled").to_owned(),
        E::ReportRequired => t.get("error-disposition-report").to_owned(),
        E::EmptyInstructionList => t.get("error-disposition-list-empty").to_owned(),
        E::TooManyInstructions => t.fmt(
            "error-disposition-list-long",
            &[("max", &d::MAX_INSTRUCTIONS.to_string())],
        ),
    }
}

/// The message for a search query that cannot run.
pub fn query_error(t: Tr, err: &serasi_domain::search::QueryError) -> String {
    use serasi_domain::search::{MAX_QUERY_CHARS, QueryError as E};
    match err {
        E::TooLong => t.fmt(
            "error-search-too-long",
            &[("max", &MAX_QUERY_CHARS.to_string())],
        ),
        E::NoTerms => t.get("error-search-no-terms").to_owned(),
    }
}

pub fn authority_error(t: Tr, err: &AuthorityError) -> String {
    match err {
        AuthorityError::NoRequiredSigner => t.get("error-no-required-signer").to_owned(),
        AuthorityError::NoAuthority { signer, required } => t.fmt(
            "error-no-authority",
            &[("signer", signer), ("required", required)],
        ),
        AuthorityError::NotInForce {
            decree,
            starts_on,
            ends_on,
        } => t.fmt(
            "error-not-in-force",
            &[
                ("decree", decree),
                ("from", &format_date_id(*starts_on)),
                ("to", &format_date_id(*ends_on)),
            ],
        ),
        AuthorityError::UnderAuthorityWithoutOnBehalf => t.get("error-ub-without-an").to_owned(),
        AuthorityError::AuthorIsSigner => t.get("error-author-signer").to_owned(),
        AuthorityError::AuthorInChain => t.get("error-author-chain").to_owned(),
        AuthorityError::NotActing(position) => t.fmt("error-not-acting", &[("position", position)]),
        AuthorityError::ChainRepeats(position) => {
            t.fmt("error-chain-repeats", &[("position", position)])
        }
        AuthorityError::SignerInChain => t.get("error-signer-in-chain").to_owned(),
        AuthorityError::VacantPost(position) => {
            t.fmt("error-vacant-post", &[("position", position)])
        }
    }
}

pub fn delegation_error(t: Tr, err: &DelegationError) -> String {
    let field = field_label(t, err.field());
    match err {
        DelegationError::Required { .. } => t.fmt("error-required", &[("field", &field)]),
        DelegationError::TooLong { max, .. } => t.fmt(
            "error-too-long",
            &[("field", &field), ("max", &max.to_string())],
        ),
        DelegationError::Kind(v) => t.fmt("error-delegation-kind", &[("value", v)]),
        DelegationError::Period => t.get("error-period").to_owned(),
        DelegationError::PeriodTooLong { kind, months } => t.fmt(
            "error-period-too-long",
            &[("prefix", kind.prefix()), ("months", &months.to_string())],
        ),
        DelegationError::DelegateShape => t.get("error-delegate-shape").to_owned(),
        DelegationError::NotDirectSubordinate => t.get("error-not-direct-subordinate").to_owned(),
        DelegationError::UnderAuthorityWithoutOnBehalf => t.get("error-ub-without-an").to_owned(),
        DelegationError::PostFilled => t.get("error-post-filled").to_owned(),
        DelegationError::PostVacant => t.get("error-post-vacant").to_owned(),
        DelegationError::SelfDelegation => t.get("error-self-delegation").to_owned(),
    }
}

pub fn transition_error(t: Tr, err: &TransitionError) -> String {
    t.fmt(
        "error-transition",
        &[
            ("action", t.get(&format!("action-{}", err.action.as_str()))),
            ("state", t.get(&format!("state-{}", err.state.as_str()))),
        ],
    )
}

pub fn document_rule(t: Tr, rule: &DocumentRule) -> String {
    match rule {
        DocumentRule::UnknownKind(v) => t.fmt("error-unknown-kind", &[("value", v)]),
        DocumentRule::KindRetired(v) => t.fmt("error-kind-retired", &[("value", v)]),
        DocumentRule::UnknownClassification(v) => {
            t.fmt("error-unknown-classification", &[("value", v)])
        }
        DocumentRule::NotAuthor => t.get("error-not-author").to_owned(),
        DocumentRule::NoEmployee | DocumentRule::NoPosition => {
            t.get("error-no-employee").to_owned()
        }
        DocumentRule::CommentRequired => t.get("error-comment-required").to_owned(),
        DocumentRule::ReasonRequired => t.get("error-reason-required").to_owned(),
        DocumentRule::NotYourTurn => t.get("error-not-your-turn").to_owned(),
        DocumentRule::AlreadyInitialled => t.get("error-already-initialled").to_owned(),
        DocumentRule::FutureDate => t.get("error-future-date").to_owned(),
        DocumentRule::DateTooOld => t.get("error-date-too-old").to_owned(),
        DocumentRule::NumberMismatch { number, example } => t.fmt(
            "error-number-mismatch",
            &[("number", number), ("example", example)],
        ),
        DocumentRule::InsertWithoutBase(base) => {
            t.fmt("error-insert-without-base", &[("base", base)])
        }
        DocumentRule::TooManyAttachments(max) => {
            t.fmt("error-too-many-files", &[("max", &max.to_string())])
        }
        DocumentRule::ScopeInUse => t.get("error-scope-in-use").to_owned(),
        DocumentRule::BeforeFirstNumber => t.get("error-before-first-number").to_owned(),
        DocumentRule::Template(e) => template_error(t, e),
    }
}

pub fn template_error(t: Tr, err: &serasi_domain::numbering::TemplateError) -> String {
    use serasi_domain::numbering::TemplateError as E;
    match err {
        E::UnknownToken(token) => t.fmt("error-template-token", &[("token", token)]),
        E::Unclosed | E::Unopened => t.get("error-template-braces").to_owned(),
        E::SerialCount(_) => t.get("error-template-serial").to_owned(),
        E::SerialWidth(width) => t.fmt("error-template-width", &[("width", width)]),
        E::MissingToken(token) => t.fmt("error-template-missing", &[("token", token)]),
    }
}

pub fn kind_error(t: Tr, err: &serasi_domain::document::KindError) -> String {
    use serasi_domain::document::KindError as E;
    let field = field_label(t, err.field());
    match err {
        E::Required { .. } => t.fmt("error-required", &[("field", &field)]),
        E::TooLong { max, .. } => t.fmt(
            "error-too-long",
            &[("field", &field), ("max", &max.to_string())],
        ),
        E::Code(value) => t.fmt("error-kind-code", &[("value", value)]),
        E::UnknownValue { value, .. } => {
            t.fmt("error-draft-value", &[("field", &field), ("value", value)])
        }
        E::Template(e) => template_error(t, e),
    }
}

/// Returns the field a store error is about, if any.
pub fn store_error_field(err: &StoreError) -> Option<&'static str> {
    match err {
        StoreError::Invalid(e) => Some(e.field()),
        StoreError::Duplicate { field, .. } => Some(field),
        StoreError::Tree(_) => Some("parent"),
        StoreError::Conflict(Conflict::HolderTaken) => Some("holder_id"),
        StoreError::Conflict(Conflict::ParentPositionOutside) => Some("parent"),
        StoreError::Draft(e) => Some(e.field()),
        StoreError::Kind(e) => Some(e.field()),
        StoreError::Delegation(e) => Some(e.field()),
        StoreError::Incoming(e) => Some(e.field()),
        StoreError::Disposition(e) => Some(e.field()),
        StoreError::Rule(DocumentRule::UnknownClassification(_)) => Some("classification"),
        StoreError::Rule(DocumentRule::CommentRequired) => Some("comment"),
        StoreError::Rule(DocumentRule::ReasonRequired) => Some("reason"),
        StoreError::Rule(DocumentRule::FutureDate | DocumentRule::DateTooOld) => {
            Some("letter_date")
        }
        StoreError::Rule(
            DocumentRule::NumberMismatch { .. } | DocumentRule::InsertWithoutBase(_),
        )
        | StoreError::Conflict(Conflict::NumberTaken { .. } | Conflict::NumberWouldSkip { .. }) => {
            Some("manual_number")
        }
        _ => None,
    }
}

pub fn store_error(t: Tr, err: &StoreError) -> String {
    match err {
        StoreError::Invalid(e) => directory_error(t, e),
        StoreError::Duplicate {
            field: "employee_id",
            ..
        } => t.get("error-employee-has-account").to_owned(),
        StoreError::Duplicate { field, value } => t.fmt(
            "error-duplicate",
            &[("field", &field_label(t, field)), ("value", value)],
        ),
        StoreError::NotFound { entity, id } => t.fmt(
            "error-not-found-entity",
            &[("entity", &entity_label(t, entity)), ("id", id)],
        ),
        StoreError::Tree(_) => t.get("error-cycle").to_owned(),
        StoreError::Conflict(c) => conflict(t, c),
        StoreError::Draft(e) => draft_error(t, e),
        StoreError::Authority(e) => authority_error(t, e),
        StoreError::Delegation(e) => delegation_error(t, e),
        StoreError::Transition(e) => transition_error(t, e),
        StoreError::Rule(e) => document_rule(t, e),
        StoreError::Kind(e) => kind_error(t, e),
        StoreError::Incoming(e) => incoming_error(t, e),
        StoreError::Disposition(e) => disposition_error(t, e),
        _ => t.get("error-internal").to_owned(),
    }
}

pub fn row_problem(t: Tr, problem: &RowProblem) -> String {
    match problem {
        RowProblem::Invalid(e) => directory_error(t, e),
        RowProblem::Duplicate { value } => t.fmt("error-row-duplicate", &[("value", value)]),
        RowProblem::NotFound { what, value } => t.fmt(
            "error-not-found-entity",
            &[("entity", &entity_label(t, what)), ("id", value)],
        ),
        RowProblem::Ambiguous { what, value } => t.fmt(
            "error-ambiguous",
            &[("entity", &entity_label(t, what)), ("value", value)],
        ),
        RowProblem::Conflict(c) => conflict(t, c),
        RowProblem::Tree(_) => t.get("error-cycle").to_owned(),
    }
}
