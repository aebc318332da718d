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
    /// The author or an administrator withdraws it.
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

#[cfg(test)]
mod tests {
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
