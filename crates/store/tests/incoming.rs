//! Incoming letters in storage: agenda numbers under concurrency, the
//! yearly restart, and addressees outside the organisation. Each test runs
//! on SQLite and on PostgreSQL.

use serasi_domain::directory::{EmployeeInput, PositionInput};
use serasi_domain::incoming::{IncomingError, IncomingInput};
use serasi_domain::{EmployeeId, OrganizationId, PositionId};
use serasi_store::{Store, StoreError, test_both_backends};
use time::Date;
use time::macros::date;

test_both_backends!(
    sixty_four_clerks_get_consecutive_agenda_numbers,
    agenda_restarts_each_year_and_rejects_outsiders,
);

const DAY: Date = date!(2026 - 12 - 04);

async fn post(
    store: &Store,
    org: &str,
    title: &str,
    nip: &str,
) -> (OrganizationId, PositionId, EmployeeId) {
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
                parent_id: None,
                holder_id: Some(employee.id),
            }
            .validate()
            .expect("valid position"),
            false,
        )
        .await
        .expect("position");
    (org.id, position.id, employee.id)
}

fn letter(addressee: PositionId, received_on: Date, n: usize) -> IncomingInput {
    IncomingInput {
        sender: format!("Kantor Pengirim {n}"),
        sender_number: format!("{n}/PENGIRIM/2026"),
        sender_date: Some(received_on),
        received_on: Some(received_on),
        subject: format!("Surat masuk nomor {n}"),
        classification: "000.1.2".into(),
        addressee_position_id: Some(addressee),
        ..IncomingInput::default()
    }
}

async fn sixty_four_clerks_get_consecutive_agenda_numbers(store: Store) {
    store.load_reference_data().await.expect("reference data");
    let (org, head, clerk) = post(&store, "DISKOMINFO", "Kepala Dinas", "197206201998031005").await;
    let tasks: Vec<_> = (0..64)
        .map(|n| {
            let store = store.clone();
            let fields = letter(head, DAY, n).validate(DAY).expect("valid");
            tokio::spawn(async move { store.register_incoming(org, clerk, &fields).await })
        })
        .collect();
    let mut numbers = Vec::new();
    for task in tasks {
        numbers.push(task.await.expect("join").expect("registered").agenda_no);
    }
    numbers.sort_unstable();
    assert_eq!(numbers, (1..=64).collect::<Vec<i64>>());
    let (page, total) = store
        .incoming_register(org, 2026, 2, 25)
        .await
        .expect("page");
    assert_eq!(total, 64);
    assert_eq!(page.len(), 25);
    assert_eq!(page[0].agenda_no, 26);
    assert_eq!(page[0].addressee_name, "Kepala Dinas");
}

async fn agenda_restarts_each_year_and_rejects_outsiders(store: Store) {
    store.load_reference_data().await.expect("reference data");
    let (org, head, clerk) = post(&store, "DISKOMINFO", "Kepala Dinas", "197206201998031005").await;
    let (_, other_head, _) = post(
        &store,
        "DINKES",
        "Kepala Dinas Kesehatan",
        "197501012000031001",
    )
    .await;
    let last_year = letter(head, date!(2025 - 12 - 31), 1)
        .validate(DAY)
        .expect("valid");
    let this_year = letter(head, date!(2026 - 01 - 01), 2)
        .validate(DAY)
        .expect("valid");
    let a = store
        .register_incoming(org, clerk, &last_year)
        .await
        .expect("registered");
    let b = store
        .register_incoming(org, clerk, &this_year)
        .await
        .expect("registered");
    assert_eq!((a.year, a.agenda_no), (2025, 1));
    assert_eq!((b.year, b.agenda_no), (2026, 1));

    let outside = letter(other_head, DAY, 3).validate(DAY).expect("valid");
    let err = store
        .register_incoming(org, clerk, &outside)
        .await
        .expect_err("addressee outside");
    assert!(
        matches!(err, StoreError::Incoming(IncomingError::AddresseeOutside)),
        "{err}"
    );
    let mut unknown = letter(head, DAY, 4);
    unknown.classification = "999.99".into();
    let unknown = unknown.validate(DAY).expect("well-formed");
    assert!(store.register_incoming(org, clerk, &unknown).await.is_err());
    // Neither failure used a number.
    let next = store
        .register_incoming(
            org,
            clerk,
            &letter(head, DAY, 5).validate(DAY).expect("valid"),
        )
        .await
        .expect("registered");
    assert_eq!(next.agenda_no, 2);
}
