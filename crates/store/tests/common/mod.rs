//! The office every storage test works in: Diskominfo with its head, a
//! secretary, a head of division and a staff member, and the head of
//! Dinkes, each holding a post.

#![allow(dead_code)]

use serasi_domain::directory::{EmployeeInput, PositionInput};
use serasi_domain::document::{DocumentState, DraftFields, DraftInput, Layout, Recipient};
use serasi_domain::{DocumentId, EmployeeId, PositionId};
use serasi_store::{SignRequest, Store};
use time::Date;
use time::macros::date;

pub const DAY: Date = date!(2026 - 12 - 04);

/// Kepala Dinas, a Sekretaris and a Kepala Bidang under the head, and a
/// staff member under the Kepala Bidang, in Diskominfo.
pub struct Office {
    pub store: Store,
    pub kadis: (PositionId, EmployeeId),
    pub sekdis: (PositionId, EmployeeId),
    pub kabid: (PositionId, EmployeeId),
    pub staff: (PositionId, EmployeeId),
    pub dinkes_head: (PositionId, EmployeeId),
}

pub async fn person(
    store: &Store,
    org: &str,
    title: &str,
    parent: Option<PositionId>,
    nip: &str,
) -> (PositionId, EmployeeId) {
    let org = store
        .organization_by_code(org)
        .await
        .expect("lookup")
        .expect("org exists");
    let employee = store
        .create_employee(
            &EmployeeInput {
                identifier: nip.into(),
                name: format!("Pejabat {title}"),
                organization_id: Some(org.id),
                ..EmployeeInput::default()
            }
            .validate()
            .expect("valid employee"),
            false,
        )
        .await
        .expect("employee");
    let position = store
        .create_position(
            &PositionInput {
                organization_id: Some(org.id),
                name: title.into(),
                parent_id: parent,
                holder_id: Some(employee.id),
            }
            .validate()
            .expect("valid position"),
            false,
        )
        .await
        .expect("position");
    (position.id, employee.id)
}

pub async fn office(store: Store) -> Office {
    store.load_reference_data().await.expect("reference data");
    let kadis = person(
        &store,
        "DISKOMINFO",
        "Kepala Dinas",
        None,
        "197206201998031005",
    )
    .await;
    let sekdis = person(
        &store,
        "DISKOMINFO.SEK",
        "Sekretaris Dinas",
        Some(kadis.0),
        "198003082005012006",
    )
    .await;
    let kabid = person(
        &store,
        "DISKOMINFO.APTIKA",
        "Kepala Bidang Aplikasi Informatika",
        Some(kadis.0),
        "198507142010011012",
    )
    .await;
    let staff = person(
        &store,
        "DISKOMINFO.APTIKA",
        "Pranata Komputer",
        Some(kabid.0),
        "199203152019031007",
    )
    .await;
    let dinkes_head = person(
        &store,
        "DINKES",
        "Kepala Dinas Kesehatan",
        None,
        "197501012000031001",
    )
    .await;
    Office {
        store,
        kadis,
        sekdis,
        kabid,
        staff,
        dinkes_head,
    }
}

pub fn draft(office: &Office, kind: &str, reviewers: Option<Vec<PositionId>>) -> DraftFields {
    DraftInput {
        kind: kind.into(),
        classification: "000.1.2".into(),
        subject: "Undangan rapat koordinasi".into(),
        body: "Dengan hormat,\n\nkami mengundang Saudara.".into(),
        addressees: vec![Recipient::Position {
            position_id: office.dinkes_head.0,
        }],
        copies: vec![Recipient::Position {
            position_id: office.sekdis.0,
        }],
        reviewers,
        ..DraftInput::default()
    }
    .validate(Layout::Letter)
    .expect("valid draft")
}

/// Creates a surat dinas without initials and submits it to the head.
pub async fn ready(office: &Office) -> DocumentId {
    let id = office
        .store
        .create_draft(
            office.staff.1,
            &draft(office, "surat_dinas", Some(Vec::new())),
            DAY,
            false,
        )
        .await
        .expect("draft");
    let state = office
        .store
        .submit_document(id, office.staff.1, DAY)
        .await
        .expect("submit");
    assert_eq!(state, DocumentState::ReadyToSign);
    id
}

pub async fn sign_on(office: &Office, id: DocumentId, day: Date, letter: Option<Date>) -> String {
    office
        .store
        .sign_document(
            id,
            office.kadis.1,
            &SignRequest {
                letter_date: letter,
                manual_number: None,
            },
            day,
        )
        .await
        .expect("sign")
}
