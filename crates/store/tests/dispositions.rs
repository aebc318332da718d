//! Dispositions, search and registers in storage: a three-level tree,
//! cancelling, overdue flags, letters delivered inside the system entering
//! the recipients' registers, search with case and diacritics, the same
//! results on both databases, and a visibility matrix with no leak in
//! results or counts.

mod common;

use common::{DAY, Office, office, person, ready, sign_on};
use serasi_domain::disposition::{
    DispositionAction, DispositionError, DispositionInput, DispositionStatus,
};
use serasi_domain::incoming::IncomingInput;
use serasi_domain::search::Query;
use serasi_domain::user::Role;
use serasi_domain::{IncomingId, PositionId};
use serasi_store::dispositions::DispositionBox;
use serasi_store::registers::{RegisterFilter, RegisterKind};
use serasi_store::search::SearchFilters;
use serasi_store::{Actor, Backend, Store, StoreError, test_both_backends};
use time::macros::datetime;

test_both_backends!(
    three_level_tree_with_cancel_and_overdue,
    delivered_letters_enter_recipient_registers,
    search_folds_case_and_diacritics,
    visibility_matrix_has_no_leak,
    kecamatan_clerk_keeps_only_its_own_register,
);

fn actor(employee: serasi_domain::EmployeeId) -> Actor {
    Actor {
        employee_id: employee,
        is_admin: false,
        is_clerk: false,
    }
}

async fn register(office: &Office, subject: &str, security: &str, sender: &str) -> IncomingId {
    let org = office
        .store
        .organization_by_code("DISKOMINFO")
        .await
        .expect("lookup")
        .expect("org");
    let fields = IncomingInput {
        sender: sender.into(),
        sender_number: "12/ABC/XII/2026".into(),
        sender_date: Some(DAY),
        received_on: Some(DAY),
        subject: subject.into(),
        classification: "000.1.2".into(),
        security: Some(security.into()),
        addressee_position_id: Some(office.kadis.0),
        ..IncomingInput::default()
    }
    .validate(DAY)
    .expect("valid");
    office
        .store
        .register_incoming(org.id, office.sekdis.1, &fields)
        .await
        .expect("registered")
        .id
}

fn refer(
    to: &[PositionId],
    deadline: Option<&str>,
) -> serasi_domain::disposition::DispositionFields {
    let allowed: Vec<String> = serasi_domain::disposition::DEFAULT_INSTRUCTIONS
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    DispositionInput {
        recipients: to.to_vec(),
        instructions: vec!["Tindak lanjuti".into()],
        note: "Segera koordinasikan".into(),
        deadline: deadline.map(str::to_owned),
        urgency: Some("segera".into()),
    }
    .validate(DAY, &allowed)
    .expect("valid disposition")
}

async fn three_level_tree_with_cancel_and_overdue(store: Store) {
    let o = office(store).await;
    let s = &o.store;
    let letter = register(&o, "Permohonan data statistik", "biasa", "BPS Kabupaten").await;
    // Level 1: the head refers it to the secretary and the head of division.
    let first = s
        .dispose(
            letter,
            None,
            actor(o.kadis.1),
            &refer(&[o.sekdis.0, o.kabid.0], Some("2026-12-10")),
            DAY,
        )
        .await
        .expect("dispose");
    assert_eq!(first.len(), 2);
    // Only the head may refer from the head's post.
    let stranger = s
        .dispose(
            letter,
            None,
            actor(o.kabid.1),
            &refer(&[o.staff.0], None),
            DAY,
        )
        .await;
    assert!(matches!(
        stranger,
        Err(StoreError::Disposition(DispositionError::NotAddressee))
    ));
    // Level 2: the head of division refers it to staff; outside the
    // subtree (the Dinkes head) is refused and nothing is stored.
    let outside = s
        .dispose(
            letter,
            Some(first[1]),
            actor(o.kabid.1),
            &refer(&[o.staff.0, o.dinkes_head.0], None),
            DAY,
        )
        .await;
    assert!(matches!(
        outside,
        Err(StoreError::Disposition(DispositionError::OutsideSubtree))
    ));
    let second = s
        .dispose(
            letter,
            Some(first[1]),
            actor(o.kabid.1),
            &refer(&[o.staff.0], Some("2026-12-09T22:30:00Z")),
            DAY,
        )
        .await
        .expect("second level");
    // Level 3: staff has no subordinate yet, so a post under staff is
    // created.
    let (intern, intern_employee) = person(
        s,
        "DISKOMINFO.APTIKA",
        "Pengelola Data",
        Some(o.staff.0),
        "199905052022031002",
    )
    .await;
    let third = s
        .dispose(
            letter,
            Some(second[0]),
            actor(o.staff.1),
            &refer(&[intern], None),
            DAY,
        )
        .await
        .expect("third level");
    let tree = s
        .disposition_tree(letter, actor(o.kadis.1), datetime!(2026-12-04 03:00 UTC))
        .await
        .expect("tree");
    assert_eq!(tree.len(), 4);
    assert_eq!(tree[0].parent_id, None);
    // Depth-first: the secretary's line, then the division's subtree.
    let order: Vec<_> = tree.iter().map(|n| n.id).collect();
    assert_eq!(order, vec![first[0], first[1], second[0], third[0]]);
    // 05:30 WIB on 10 December was stored as that WIB date.
    assert_eq!(tree[2].deadline.as_deref(), Some("2026-12-10"));
    // Reading marks the level-2 line; the head of division referring
    // further already marked the level-1 line read.
    assert_eq!(tree[1].status, DispositionStatus::Read);
    // Cancel while unread works; after reading it is refused.
    let status = s
        .act_on_disposition(
            first[0],
            actor(o.kadis.1),
            DispositionAction::Cancel,
            None,
            DAY,
        )
        .await
        .expect("cancel unread");
    assert_eq!(status, DispositionStatus::Cancelled);
    let late = s
        .act_on_disposition(
            first[1],
            actor(o.kadis.1),
            DispositionAction::Cancel,
            None,
            DAY,
        )
        .await;
    assert!(matches!(
        late,
        Err(StoreError::Disposition(DispositionError::CancelAfterRead))
    ));
    // Only the recipient reports, and only once.
    let not_mine = s
        .act_on_disposition(
            third[0],
            actor(o.kabid.1),
            DispositionAction::Finish,
            Some("x"),
            DAY,
        )
        .await;
    assert!(matches!(
        not_mine,
        Err(StoreError::Disposition(DispositionError::NotAllowed))
    ));
    let no_report = s
        .act_on_disposition(
            third[0],
            actor(intern_employee),
            DispositionAction::Finish,
            Some("  "),
            DAY,
        )
        .await;
    assert!(matches!(
        no_report,
        Err(StoreError::Disposition(DispositionError::ReportRequired))
    ));
    for (id, who) in [
        (third[0], intern_employee),
        (second[0], o.staff.1),
        (first[1], o.kabid.1),
    ] {
        s.act_on_disposition(
            id,
            actor(who),
            DispositionAction::Finish,
            Some("Sudah dikerjakan"),
            DAY,
        )
        .await
        .expect("done");
    }
    let twice = s
        .act_on_disposition(
            third[0],
            actor(intern_employee),
            DispositionAction::Finish,
            Some("lagi"),
            DAY,
        )
        .await;
    assert!(matches!(
        twice,
        Err(StoreError::Disposition(DispositionError::AlreadyDone))
    ));
    // Overdue: a new line with a deadline of 10 December is overdue from
    // 00:00 WIB on 11 December, on both sides.
    let late_line = s
        .dispose(
            letter,
            None,
            actor(o.kadis.1),
            &refer(&[o.sekdis.0], Some("2026-12-10")),
            DAY,
        )
        .await
        .expect("dispose again");
    let before = datetime!(2026-12-10 16:59 UTC);
    let after = datetime!(2026-12-10 17:00 UTC);
    let (received, _) = s
        .dispositions(
            actor(o.sekdis.1),
            DispositionBox::Received,
            true,
            before,
            1,
            50,
        )
        .await
        .expect("received");
    assert!(received.iter().all(|l| !l.overdue));
    let (received, _) = s
        .dispositions(
            actor(o.sekdis.1),
            DispositionBox::Received,
            true,
            after,
            1,
            50,
        )
        .await
        .expect("received");
    assert!(
        received
            .iter()
            .any(|l| l.overdue && l.id == Some(late_line[0]))
    );
    let (sent, _) = s
        .dispositions(actor(o.kadis.1), DispositionBox::Sent, true, after, 1, 50)
        .await
        .expect("sent");
    assert!(sent.iter().any(|l| l.overdue && l.id == Some(late_line[0])));
    // The register shows the disposition progress.
    let org = s
        .organization_by_code("DISKOMINFO")
        .await
        .expect("lookup")
        .expect("org");
    let lines = s
        .register_lines(
            RegisterKind::Incoming,
            org.id,
            &RegisterFilter::default(),
            None,
            50,
            0,
        )
        .await
        .expect("register");
    assert_eq!(lines[0].cells[8], "3/4");
}

async fn delivered_letters_enter_recipient_registers(store: Store) {
    let o = office(store).await;
    let id = ready(&o).await;
    let number = sign_on(&o, id, DAY, None).await;
    let dinkes = o
        .store
        .organization_by_code("DINKES")
        .await
        .expect("lookup")
        .expect("org");
    let (rows, total) = o
        .store
        .incoming_register(dinkes.id, 2026, 1, 20)
        .await
        .expect("register");
    assert_eq!(total, 1);
    assert_eq!(rows[0].sender_number, number);
    assert_eq!(rows[0].agenda_no, 1);
    // The copy went to the secretary of Diskominfo itself.
    let diskominfo = o
        .store
        .organization_by_code("DISKOMINFO")
        .await
        .expect("lookup")
        .expect("org");
    let (_, own) = o
        .store
        .incoming_register(diskominfo.id, 2026, 1, 20)
        .await
        .expect("register");
    assert_eq!(own, 1);
    // The Dinkes head may refer it without anyone re-typing it.
    let detail = o
        .store
        .incoming_detail(rows[0].id.0, actor(o.dinkes_head.1), DAY)
        .await
        .expect("detail")
        .expect("visible");
    assert_eq!(detail.0.source_document_id, Some(id));
    assert!(detail.0.is_addressee);
    // The signer sent it; the recipient's register entry and its
    // dispositions are not the signer's to see.
    let signer_view = o
        .store
        .incoming_access(rows[0].id.0, actor(o.kadis.1), DAY)
        .await
        .expect("access");
    assert_eq!(signer_view, serasi_store::incoming::LetterAccess::None);
    // An administrator without an employee record reads it by role only,
    // never as someone named on it (so not at all were it Rahasia).
    let admin_view = o
        .store
        .incoming_access(
            rows[0].id.0,
            Actor {
                employee_id: serasi_domain::EmployeeId::from_uuid(uuid::Uuid::nil()),
                is_admin: true,
                is_clerk: false,
            },
            DAY,
        )
        .await
        .expect("access");
    assert_eq!(admin_view, serasi_store::incoming::LetterAccess::Register);
    // One entry per office even when two of its posts receive the letter.
    let (own_rows, _) = o
        .store
        .incoming_register(diskominfo.id, 2026, 1, 20)
        .await
        .expect("register");
    assert_eq!(own_rows[0].sender, "Dinas Komunikasi dan Informatika");
    // The outgoing and dispatch registers list it.
    let out = o
        .store
        .register_lines(
            RegisterKind::Outgoing,
            diskominfo.id,
            &RegisterFilter::default(),
            None,
            10,
            0,
        )
        .await
        .expect("outgoing");
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].cells[0], number);
    let dispatch = o
        .store
        .register_lines(
            RegisterKind::Dispatch,
            diskominfo.id,
            &RegisterFilter::default(),
            None,
            10,
            0,
        )
        .await
        .expect("dispatch");
    assert_eq!(dispatch.len(), 2);
    // Batches after a cursor cover the register exactly once.
    let first = o
        .store
        .register_lines(
            RegisterKind::Dispatch,
            diskominfo.id,
            &RegisterFilter::default(),
            None,
            1,
            0,
        )
        .await
        .expect("first");
    let rest = o
        .store
        .register_lines(
            RegisterKind::Dispatch,
            diskominfo.id,
            &RegisterFilter::default(),
            Some(&first[0].cursor),
            10,
            0,
        )
        .await
        .expect("rest");
    assert_eq!(rest.len(), 1);
    assert_ne!(rest[0].cells, first[0].cells);
}

async fn search_folds_case_and_diacritics(store: Store) {
    let o = office(store).await;
    register(&o, "Undangan rapat di Café Ungaran", "biasa", "Panitia").await;
    register(&o, "Laporan keuangan", "biasa", "CAFÉ SENTOSA").await;
    register(&o, "Pengumuman libur", "biasa", "Kantor Pos").await;
    let admin = Actor {
        employee_id: o.sekdis.1,
        is_admin: true,
        is_clerk: false,
    };
    for text in ["cafe", "Café", "CAFÉ", "\"café\" -* ()"] {
        let query = Query::parse(text).expect("query");
        let page = o
            .store
            .search(admin, DAY, &query, &SearchFilters::default(), 1, 20)
            .await
            .expect("search");
        assert_eq!(page.total, 2, "{text}");
        assert!(
            page.hits
                .iter()
                .all(|h| h.subject.iter().chain(&h.party).any(|p| p.hit))
        );
    }
    let prefix = o
        .store
        .search(
            admin,
            DAY,
            &Query::parse("ungar").expect("query"),
            &SearchFilters::default(),
            1,
            20,
        )
        .await
        .expect("search");
    assert_eq!(prefix.total, 1);
    let filtered = o
        .store
        .search(
            admin,
            DAY,
            &Query::parse("cafe").expect("query"),
            &SearchFilters {
                classification: Some("000.1".into()),
                kind: Some("surat_masuk".into()),
                from: Some(DAY),
                to: Some(DAY),
                ..SearchFilters::default()
            },
            1,
            20,
        )
        .await
        .expect("search");
    assert_eq!(filtered.total, 2);
    let none = o
        .store
        .search(
            admin,
            DAY,
            &Query::parse("cafe").expect("query"),
            &SearchFilters {
                classification: Some("800".into()),
                ..SearchFilters::default()
            },
            1,
            20,
        )
        .await
        .expect("search");
    assert_eq!(none.total, 0);
}

/// Checks every role against every security class in two organisations:
/// a letter is in results and counts exactly when the rules allow it.
async fn visibility_matrix_has_no_leak(store: Store) {
    let o = office(store).await;
    let s = &o.store;
    let dinkes = s
        .organization_by_code("DINKES")
        .await
        .expect("lookup")
        .expect("org");
    let (clerk_post, dinkes_clerk) = person(
        s,
        "DINKES",
        "Pengadministrasi Umum",
        Some(o.dinkes_head.0),
        "199001012015031001",
    )
    .await;
    let _ = clerk_post;
    let (_, analyst) = person(
        s,
        "DISKOMINFO.SEK",
        "Analis Kebijakan",
        Some(o.sekdis.0),
        "199102022016031002",
    )
    .await;
    let classes = ["biasa", "terbatas", "rahasia", "sangat_rahasia"];
    let mut letters = Vec::new();
    for class in classes {
        // Diskominfo letters, registered by the Diskominfo secretary.
        let id = register(&o, &format!("Matriks {class} kominfo"), class, "Pengirim").await;
        letters.push(("kominfo", class, id));
        // Dinkes letters, registered by the Dinkes clerk.
        let fields = IncomingInput {
            sender: "Pengirim".into(),
            sender_number: "1/X/2026".into(),
            sender_date: Some(DAY),
            received_on: Some(DAY),
            subject: format!("Matriks {class} dinkes"),
            classification: "000.1.2".into(),
            security: Some(class.into()),
            addressee_position_id: Some(o.dinkes_head.0),
            ..IncomingInput::default()
        }
        .validate(DAY)
        .expect("valid");
        let id = s
            .register_incoming(dinkes.id, dinkes_clerk, &fields)
            .await
            .expect("registered")
            .id;
        letters.push(("dinkes", class, id));
    }
    // The head of Diskominfo refers its Rahasia letter to the staff member.
    let secret = letters
        .iter()
        .find(|l| l.0 == "kominfo" && l.1 == "rahasia")
        .map(|l| l.2)
        .expect("secret letter");
    s.dispose(
        secret,
        None,
        actor(o.kadis.1),
        &refer(&[o.kabid.0], None),
        DAY,
    )
    .await
    .expect("dispose");
    let viewers = [
        (
            "admin",
            Actor {
                employee_id: analyst,
                is_admin: true,
                is_clerk: false,
            },
            Role::Admin,
        ),
        (
            "kominfo clerk",
            Actor {
                employee_id: o.staff.1,
                is_admin: false,
                is_clerk: true,
            },
            Role::Clerk,
        ),
        (
            "dinkes clerk",
            Actor {
                employee_id: dinkes_clerk,
                is_admin: false,
                is_clerk: true,
            },
            Role::Clerk,
        ),
        ("kominfo head", actor(o.kadis.1), Role::Employee),
        ("kominfo division", actor(o.kabid.1), Role::Employee),
        ("kominfo staff", actor(o.staff.1), Role::Employee),
    ];
    let query = Query::parse("matriks").expect("query");
    for (name, viewer, _role) in viewers {
        let mut expected = Vec::new();
        for (org, class, id) in &letters {
            let confidential = matches!(*class, "rahasia" | "sangat_rahasia");
            let named = match name {
                "kominfo head" => *org == "kominfo",
                "kominfo division" => *id == secret,
                "dinkes clerk" => *org == "dinkes", // registered them
                _ => false,
            };
            let by_role = !confidential
                && match name {
                    "admin" => true,
                    "kominfo clerk" => *org == "kominfo",
                    "dinkes clerk" => *org == "dinkes",
                    _ => false,
                };
            if named || by_role {
                expected.push(id.as_uuid());
            }
        }
        expected.sort();
        let page = s
            .search(viewer, DAY, &query, &SearchFilters::default(), 1, 100)
            .await
            .expect("search");
        let mut found: Vec<_> = page.hits.iter().map(|h| h.id).collect();
        found.sort();
        assert_eq!(found, expected, "results for {name}");
        assert_eq!(page.total, expected.len() as i64, "count for {name}");
        for (_, _, id) in &letters {
            let access = s.incoming_access(*id, viewer, DAY).await.expect("access");
            let visible = access != serasi_store::incoming::LetterAccess::None;
            assert_eq!(
                visible,
                expected.contains(&id.as_uuid()),
                "access of {name}"
            );
        }
    }
}

/// The same data gives the same search results on SQLite and PostgreSQL.
#[tokio::test]
async fn same_results_on_both_databases() {
    let sqlite = serasi_store::testing::TestDb::new(Backend::Sqlite).await;
    let postgres = serasi_store::testing::TestDb::new(Backend::Postgres).await;
    let mut answers = Vec::new();
    for db in [&sqlite, &postgres] {
        let o = office(db.store.clone()).await;
        let subjects = [
            "Rapat koordinasi e-Office",
            "Koordinasi anggaran 2026",
            "Undangan Café Rakyat",
            "Nomor 005.1/12/2026 tentang rapat",
            "Pemberitahuan jadwal posyandu",
            "Surat dari Śri Łukasz Şahin di Straße",
        ];
        for (n, subject) in subjects.iter().enumerate() {
            register(&o, subject, "biasa", &format!("Pengirim {n}")).await;
        }
        let admin = Actor {
            employee_id: o.kadis.1,
            is_admin: true,
            is_clerk: false,
        };
        let mut per_query = Vec::new();
        for text in [
            "koordinasi",
            "rapat",
            "cafe",
            "005",
            "2026",
            "e office",
            "pengirim 3",
            "tidak ada",
            "sri",
            "LUKASZ",
            "strasse sahin",
        ] {
            let page = o
                .store
                .search(
                    admin,
                    DAY,
                    &Query::parse(text).expect("query"),
                    &SearchFilters::default(),
                    1,
                    50,
                )
                .await
                .expect("search");
            let mut subjects: Vec<String> = page
                .hits
                .iter()
                .map(|h| h.subject.iter().map(|p| p.text.as_str()).collect())
                .collect();
            subjects.sort();
            per_query.push((text, page.total, subjects));
        }
        answers.push(per_query);
    }
    assert_eq!(answers[0], answers[1]);
    sqlite.finish().await;
    postgres.finish().await;
}

/// Checks that a kecamatan clerk works for the kecamatan and its units,
/// not for the villages below it, which keep their own registers.
async fn kecamatan_clerk_keeps_only_its_own_register(store: Store) {
    store.load_reference_data().await.expect("reference data");
    let (_, clerk) = person(
        &store,
        "33.22.02",
        "Pengadministrasi Kecamatan",
        None,
        "199001102015031003",
    )
    .await;
    let kecamatan = store
        .organization_by_code("33.22.02")
        .await
        .expect("lookup")
        .expect("org");
    let village = store
        .organization_by_code("33.22.02.2005")
        .await
        .expect("lookup")
        .expect("org");
    let orgs = store
        .clerk_organizations(Actor {
            employee_id: clerk,
            is_admin: false,
            is_clerk: true,
        })
        .await
        .expect("orgs");
    assert!(orgs.contains(&kecamatan.id));
    assert!(!orgs.contains(&village.id));
}
