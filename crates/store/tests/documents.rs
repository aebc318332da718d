//! Outgoing documents in storage: the initials chain, signing, numbering
//! under concurrency, insert numbers, cancellation and delivery. Each test
//! runs on SQLite and on PostgreSQL.

use std::collections::HashSet;

use serasi_domain::authority::{AuthorityError, DelegationInput};
use serasi_domain::document::{DocumentState, Recipient};
use serasi_domain::{EmployeeId, PositionId};
use serasi_store::{
    Actor, Conflict, DocumentRule, NewDraftSave, Queue, QueueFilter, SignRequest, Store,
    StoreError, test_both_backends,
};
use time::macros::date;

test_both_backends!(
    sixty_four_concurrent_signatures,
    double_sign_gives_one_number,
    series_rolls_over_on_first_january,
    back_dated_letter_gets_insert_number,
    cancelled_number_never_reused,
    typed_number_checked_against_series,
    chain_return_and_restart,
    stale_revision_rejected,
    delivery_and_read_receipt,
    delegation_rules_in_storage,
);

mod common;

use common::{DAY, Office, draft, office, ready, sign_on};

/// Returns the serial part of a `{classification}/{serial:03}/…` number.
fn serial(number: &str) -> &str {
    number.split('/').nth(1).expect("serial part")
}

async fn sixty_four_concurrent_signatures(store: Store) {
    let office = office(store).await;
    let mut ids = Vec::new();
    for _ in 0..64 {
        ids.push(ready(&office).await);
    }
    let tasks: Vec<_> = ids
        .iter()
        .map(|id| {
            let store = office.store.clone();
            let (id, signer) = (*id, office.kadis.1);
            tokio::spawn(async move {
                store
                    .sign_document(id, signer, &SignRequest::default(), DAY)
                    .await
            })
        })
        .collect();
    let mut serials = Vec::new();
    for task in tasks {
        let number = task.await.expect("join").expect("signed");
        serials.push(serial(&number).parse::<u32>().expect("numeric serial"));
    }
    serials.sort_unstable();
    assert_eq!(serials, (1..=64).collect::<Vec<u32>>());
}

async fn double_sign_gives_one_number(store: Store) {
    let office = office(store).await;
    let id = ready(&office).await;
    let first = {
        let store = office.store.clone();
        let signer = office.kadis.1;
        tokio::spawn(async move {
            store
                .sign_document(id, signer, &SignRequest::default(), DAY)
                .await
        })
    };
    let second = office
        .store
        .sign_document(id, office.kadis.1, &SignRequest::default(), DAY)
        .await;
    let first = first.await.expect("join");
    let results = [first, second];
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1);
    let err = results
        .into_iter()
        .find_map(Result::err)
        .expect("one failed");
    assert!(
        matches!(&err, StoreError::Transition(t) if t.state == DocumentState::Signed),
        "{err}"
    );
    let outbox = office
        .store
        .queue(office.staff.1, Queue::Outbox, &QueueFilter::default(), DAY)
        .await
        .expect("outbox");
    assert_eq!(outbox.total, 1);
}

async fn series_rolls_over_on_first_january(store: Store) {
    let office = office(store).await;
    let a = ready(&office).await;
    let b = ready(&office).await;
    let c = ready(&office).await;
    let last_day = date!(2026 - 12 - 31);
    assert!(sign_on(&office, a, last_day, None).await.ends_with("/2026"));
    let n = sign_on(&office, b, last_day, None).await;
    assert_eq!(serial(&n), "002");
    let n = sign_on(&office, c, date!(2027 - 01 - 01), None).await;
    assert_eq!(serial(&n), "001");
    assert!(n.ends_with("/I/2027"), "{n}");
}

async fn back_dated_letter_gets_insert_number(store: Store) {
    let office = office(store).await;
    let mut ids = Vec::new();
    for _ in 0..4 {
        ids.push(ready(&office).await);
    }
    let first = sign_on(&office, ids[0], date!(2026 - 12 - 01), None).await;
    let second = sign_on(&office, ids[1], date!(2026 - 12 - 03), None).await;
    assert_eq!((serial(&first), serial(&second)), ("001", "002"));
    let late = sign_on(&office, ids[2], DAY, Some(date!(2026 - 12 - 02))).await;
    assert_eq!(serial(&late), "001.1");
    let later = sign_on(&office, ids[3], DAY, Some(date!(2026 - 12 - 02))).await;
    assert_eq!(serial(&later), "001.2");
    let too_early = ready(&office).await;
    let err = office
        .store
        .sign_document(
            too_early,
            office.kadis.1,
            &SignRequest {
                letter_date: Some(date!(2026 - 11 - 30)),
                manual_number: None,
            },
            DAY,
        )
        .await
        .expect_err("before the first number");
    assert!(matches!(
        err,
        StoreError::Rule(DocumentRule::BeforeFirstNumber)
    ));
    let future = ready(&office).await;
    let err = office
        .store
        .sign_document(
            future,
            office.kadis.1,
            &SignRequest {
                letter_date: Some(date!(2026 - 12 - 05)),
                manual_number: None,
            },
            DAY,
        )
        .await
        .expect_err("future date");
    assert!(matches!(err, StoreError::Rule(DocumentRule::FutureDate)));
}

async fn cancelled_number_never_reused(store: Store) {
    let office = office(store).await;
    let a = ready(&office).await;
    let number = sign_on(&office, a, DAY, None).await;
    let admin = Actor {
        employee_id: office.kadis.1,
        is_admin: false,
        is_clerk: false,
    };
    let err = office
        .store
        .cancel_document(a, admin, "  ", DAY)
        .await
        .expect_err("reason required");
    assert!(matches!(
        err,
        StoreError::Rule(DocumentRule::ReasonRequired)
    ));
    office
        .store
        .cancel_document(a, admin, "Salah alamat", DAY)
        .await
        .expect("cancel");
    let org = office
        .store
        .organization_by_code("DISKOMINFO")
        .await
        .expect("lookup")
        .expect("org");
    let log = office.store.cancelled_numbers(org.id).await.expect("log");
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].number, number);
    assert_eq!(log[0].cancel_reason.as_deref(), Some("Salah alamat"));
    let b = ready(&office).await;
    assert_eq!(serial(&sign_on(&office, b, DAY, None).await), "002");
    let err = office
        .store
        .cancel_document(a, admin, "again", DAY)
        .await
        .expect_err("already cancelled");
    assert!(matches!(err, StoreError::Transition(_)));
}

async fn sign_typed(office: &Office, number: String) -> Result<String, StoreError> {
    let id = ready(office).await;
    office
        .store
        .sign_document(
            id,
            office.kadis.1,
            &SignRequest {
                letter_date: None,
                manual_number: Some(number),
            },
            DAY,
        )
        .await
}

async fn typed_number_checked_against_series(store: Store) {
    let office = office(store).await;
    let a = ready(&office).await;
    let first_number = sign_on(&office, a, DAY, None).await;
    match sign_typed(&office, first_number.clone()).await {
        Err(StoreError::Conflict(Conflict::NumberTaken { document_id, .. })) => {
            assert_eq!(document_id, a.to_string());
        }
        other => panic!("expected NumberTaken, got {other:?}"),
    }
    assert!(matches!(
        sign_typed(&office, "999/1/X/2026".into()).await,
        Err(StoreError::Rule(DocumentRule::NumberMismatch { .. }))
    ));
    let skipping = first_number.replace("/001/", "/005/");
    assert!(matches!(
        sign_typed(&office, skipping).await,
        Err(StoreError::Conflict(Conflict::NumberWouldSkip { .. }))
    ));
    let next = first_number.replace("/001/", "/002/");
    assert_eq!(
        sign_typed(&office, next.clone())
            .await
            .expect("next number"),
        next
    );
    let insert = first_number.replace("/001/", "/001.1/");
    assert_eq!(
        sign_typed(&office, insert.clone()).await.expect("insert"),
        insert
    );
    let b = ready(&office).await;
    assert_eq!(serial(&sign_on(&office, b, DAY, None).await), "003");
}

async fn chain_return_and_restart(store: Store) {
    let office = office(store).await;
    let s = &office.store;
    // Default chain for nota dinas: Kepala Bidang, then the head signs.
    let fields = draft(&office, "nota_dinas", None);
    let id = s
        .create_draft(office.staff.1, &fields, DAY, false)
        .await
        .expect("draft");
    let view = s
        .document_for(id, actor(office.staff.1), DAY)
        .await
        .expect("view");
    assert_eq!(view.reviews.len(), 1);
    assert_eq!(view.reviews[0].position_id, office.kabid.0);
    // Add the Sekretaris as a coordination initial.
    let mut with_coordination = fields.clone();
    with_coordination.coordinators = vec![office.sekdis.0];
    s.update_draft(id, office.staff.1, 1, &with_coordination, DAY)
        .await
        .expect("edit");
    assert_eq!(
        s.submit_document(id, office.staff.1, DAY)
            .await
            .expect("submit"),
        DocumentState::InReview
    );
    // The author cannot initial; the head cannot sign yet.
    assert!(
        s.initial_document(id, office.staff.1, None, DAY)
            .await
            .is_err()
    );
    assert!(matches!(
        s.sign_document(id, office.kadis.1, &SignRequest::default(), DAY)
            .await,
        Err(StoreError::Transition(_))
    ));
    s.initial_document(id, office.kabid.1, None, DAY)
        .await
        .expect("kabid initials");
    assert_eq!(
        s.return_document(id, office.sekdis.1, "Perbaiki jadwal", DAY)
            .await
            .expect("return"),
        DocumentState::Returned
    );
    // Resubmitted unchanged: the Kepala Bidang already saw this revision.
    s.submit_document(id, office.staff.1, DAY)
        .await
        .expect("resubmit");
    let view = s
        .document_for(id, actor(office.staff.1), DAY)
        .await
        .expect("view");
    assert_eq!(view.reviews[0].status, "initialled");
    assert_eq!(view.reviews[1].status, "pending");
    // Returned again and changed: the chain restarts at the Kepala Bidang.
    s.return_document(id, office.sekdis.1, "Tambah lampiran", DAY)
        .await
        .expect("return");
    let mut with_attachment = with_coordination.clone();
    with_attachment.attachment_count = 1;
    s.update_draft(id, office.staff.1, 2, &with_attachment, DAY)
        .await
        .expect("edit");
    s.submit_document(id, office.staff.1, DAY)
        .await
        .expect("resubmit");
    let view = s
        .document_for(id, actor(office.staff.1), DAY)
        .await
        .expect("view");
    assert_eq!(view.reviews[0].status, "pending");
    let queue = s
        .queue(
            office.kabid.1,
            Queue::ToInitial,
            &QueueFilter::default(),
            DAY,
        )
        .await
        .expect("queue");
    assert_eq!(queue.total, 1);
    s.initial_document(id, office.kabid.1, None, DAY)
        .await
        .expect("kabid");
    assert_eq!(
        s.initial_document(id, office.sekdis.1, Some("Setuju"), DAY)
            .await
            .expect("sekdis"),
        DocumentState::ReadyToSign
    );
    let counts = s.queue_counts(office.kadis.1, DAY).await.expect("counts");
    assert_eq!(counts.to_sign, 1);
    let number = s
        .sign_document(id, office.kadis.1, &SignRequest::default(), DAY)
        .await
        .expect("sign");
    assert!(number.contains("/ND/DISKOMINFO/"), "{number}");
    let events = s.document_events(id).await.expect("events");
    let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "create", "edit", "submit", "initial", "return", "submit", "return", "edit", "submit",
            "initial", "initial", "sign"
        ]
    );
}

fn actor(employee_id: EmployeeId) -> Actor {
    Actor {
        employee_id,
        is_admin: false,
        is_clerk: false,
    }
}

async fn stale_revision_rejected(store: Store) {
    let office = office(store).await;
    let s = &office.store;
    let fields = draft(&office, "surat_dinas", None);
    let id = s
        .create_draft(office.staff.1, &fields, DAY, false)
        .await
        .expect("draft");
    let mut changed = fields.clone();
    changed.subject = "Perubahan pertama".into();
    assert_eq!(
        s.update_draft(id, office.staff.1, 1, &changed, DAY)
            .await
            .expect("save"),
        2
    );
    let mut other = fields.clone();
    other.subject = "Perubahan dari tab lain".into();
    match s.update_draft(id, office.staff.1, 1, &other, DAY).await {
        Err(StoreError::Conflict(Conflict::StaleRevision { current: 2 })) => {}
        other => panic!("expected StaleRevision, got {other:?}"),
    }
    let view = s
        .document_for(id, actor(office.staff.1), DAY)
        .await
        .expect("view");
    assert_eq!(view.subject, "Perubahan pertama");
    assert_eq!(s.document_revisions(id).await.expect("revisions").len(), 2);
    // Saving the same content again (an autosave) adds no revision.
    assert_eq!(
        s.update_draft(id, office.staff.1, 2, &changed, DAY)
            .await
            .expect("same"),
        2
    );
    // A form saved twice under one key makes one draft.
    let (first, r1) = s
        .save_new_draft(office.staff.1, "form-1", NewDraftSave::Auto, &fields, DAY)
        .await
        .expect("first save");
    let (again, r2) = s
        .save_new_draft(
            office.staff.1,
            "form-1",
            NewDraftSave::Explicit,
            &changed,
            DAY,
        )
        .await
        .expect("second save");
    assert_eq!((first, r1, r2), (again, 1, 2));
    // A late autosave without a revision never overwrites it.
    assert!(matches!(
        s.save_new_draft(office.staff.1, "form-1", NewDraftSave::Auto, &fields, DAY)
            .await,
        Err(StoreError::Conflict(Conflict::StaleRevision { current: 2 }))
    ));
    // Someone else may not edit it, nor learn that it exists.
    assert!(matches!(
        s.update_draft(id, office.kabid.1, 2, &other, DAY).await,
        Err(StoreError::NotFound { .. })
    ));
    // Unknown classification and unknown addressee change nothing.
    let mut unknown = fields.clone();
    unknown.classification = "999.9".into();
    assert!(matches!(
        s.update_draft(id, office.staff.1, 2, &unknown, DAY).await,
        Err(StoreError::Rule(DocumentRule::UnknownClassification(_)))
    ));
    let mut nobody = fields.clone();
    nobody.addressees = vec![Recipient::Position {
        position_id: PositionId::new(),
    }];
    assert!(matches!(
        s.update_draft(id, office.staff.1, 2, &nobody, DAY).await,
        Err(StoreError::NotFound { .. })
    ));
    assert_eq!(s.document_revisions(id).await.expect("revisions").len(), 2);
}

async fn delivery_and_read_receipt(store: Store) {
    let office = office(store).await;
    let s = &office.store;
    let id = ready(&office).await;
    sign_on(&office, id, DAY, None).await;
    let inbox = s
        .queue(
            office.dinkes_head.1,
            Queue::Inbox,
            &QueueFilter::default(),
            DAY,
        )
        .await
        .expect("inbox");
    assert_eq!(inbox.total, 1);
    assert_eq!(inbox.items[0].read_at, None);
    assert_eq!(inbox.items[0].is_copy, Some(false));
    let copy = s
        .queue(office.sekdis.1, Queue::Inbox, &QueueFilter::default(), DAY)
        .await
        .expect("copy inbox");
    assert_eq!(copy.items[0].is_copy, Some(true));
    assert_eq!(
        s.queue_counts(office.dinkes_head.1, DAY)
            .await
            .expect("counts")
            .inbox_unread,
        1
    );
    // An outsider does not see it at all.
    assert!(matches!(
        s.document_for(id, actor(office.kabid.1), DAY).await,
        Err(StoreError::NotFound { .. })
    ));
    s.document_for(id, actor(office.dinkes_head.1), DAY)
        .await
        .expect("addressee sees it");
    assert!(
        s.mark_document_read(id, office.dinkes_head.1)
            .await
            .expect("read")
    );
    assert!(
        !s.mark_document_read(id, office.dinkes_head.1)
            .await
            .expect("read again")
    );
    let deliveries = s.document_deliveries(id).await.expect("deliveries");
    assert_eq!(deliveries.len(), 2);
    assert!(deliveries[0].read_at.is_some());
    assert!(deliveries[1].read_at.is_none());
    assert_eq!(
        s.queue_counts(office.dinkes_head.1, DAY)
            .await
            .expect("counts")
            .inbox_unread,
        0
    );
}

async fn delegation_rules_in_storage(store: Store) {
    let office = office(store).await;
    let s = &office.store;
    // The Sekretaris signs a.n. the Kepala Dinas from 1 to 4 December.
    let an = DelegationInput {
        kind: "an".into(),
        principal_id: Some(office.kadis.0),
        delegate_position_id: Some(office.sekdis.0),
        decree_number: "800/15/2026".into(),
        starts_on: Some(date!(2026 - 12 - 01)),
        ends_on: Some(DAY),
        ..DelegationInput::default()
    }
    .validate()
    .expect("valid");
    s.create_delegation(&an).await.expect("stored");
    let mut fields = draft(&office, "surat_dinas", Some(Vec::new()));
    fields.signer_position_id = Some(office.sekdis.0);
    let id = s
        .create_draft(office.staff.1, &fields, DAY, false)
        .await
        .expect("a.n. draft");
    s.submit_document(id, office.staff.1, DAY)
        .await
        .expect("submit");
    // The day after the delegation ended it no longer works.
    let next_day = date!(2026 - 12 - 05);
    assert!(matches!(
        s.sign_document(id, office.sekdis.1, &SignRequest::default(), next_day)
            .await,
        Err(StoreError::Authority(AuthorityError::NotInForce { .. }))
    ));
    s.sign_document(id, office.sekdis.1, &SignRequest::default(), DAY)
        .await
        .expect("a.n. signature");
    let view = s
        .document_for(id, actor(office.staff.1), DAY)
        .await
        .expect("view");
    assert_eq!(
        view.signature_block,
        vec!["a.n. Kepala Dinas", "Sekretaris Dinas,"]
    );
    // A signer without any delegation is refused when drafting.
    let mut no_authority = draft(&office, "surat_dinas", Some(Vec::new()));
    no_authority.signer_position_id = Some(office.kabid.0);
    assert!(matches!(
        s.create_draft(office.staff.1, &no_authority, DAY, false)
            .await,
        Err(StoreError::Authority(AuthorityError::NoAuthority { .. }))
    ));
    // The author cannot put themselves in the chain.
    let own = draft(&office, "surat_dinas", Some(vec![office.staff.0]));
    assert!(matches!(
        s.create_draft(office.staff.1, &own, DAY, false).await,
        Err(StoreError::Authority(AuthorityError::AuthorInChain))
    ));
    let ids: HashSet<_> = s
        .delegations()
        .await
        .expect("list")
        .iter()
        .map(|d| d.id)
        .collect();
    assert!(ids.contains(&an.id));
}
