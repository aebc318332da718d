//! Storage tests; each runs on SQLite and on PostgreSQL.

use std::collections::HashMap;

use serasi_domain::directory::{EmployeeInput, OrganizationInput, PositionInput};
use serasi_domain::refdata::RefWarning;
use serasi_domain::user::Role;
use serasi_store::import::{ImportError, ImportKind, ImportRow, RowProblem};
use serasi_store::{
    LoginError, LoginThrottle, NewUser, PasswordChange, Store, StoreError, test_both_backends,
};

test_both_backends!(
    reference_load_counts,
    reference_load_idempotent,
    organization_placement_and_cycles,
    duplicate_nip_rejected,
    employee_search_folds_case,
    position_cycle_rejected,
    import_is_all_or_nothing,
    login_lockout_after_failures,
    session_and_token_lifecycle,
    password_reset_revokes_tokens,
    totp_step_accepted_once,
    control_characters_in_search,
    classification_search_ranks_segments,
    concurrent_reference_loads,
);

async fn loaded(store: &Store) {
    store
        .load_reference_data()
        .await
        .expect("reference data loads");
}

async fn reference_load_counts(store: Store) {
    let report = store.load_reference_data().await.expect("load");
    assert_eq!(report.classifications_added, 2981);
    assert!(report.warnings.contains(&RefWarning::MissingParent {
        code: "270.04.05".into(),
        parent: "270.04".into()
    }));
    let orgs = store.organizations().await.expect("list");
    let count = |kind: &str| orgs.iter().filter(|o| o.kind.as_str() == kind).count();
    assert_eq!(count("regency"), 1);
    assert_eq!(count("district"), 19);
    assert_eq!(count("village") + count("urban_village"), 235);
    assert_eq!(store.count_classifications().await.expect("count"), 2981);
    let karangduren = store
        .organization_by_code("33.22.02.2009")
        .await
        .expect("lookup");
    let tengaran = store
        .organization_by_code("33.22.02")
        .await
        .expect("lookup");
    assert_eq!(
        tengaran.as_ref().map(|o| o.name.as_str()),
        Some("Kecamatan Tengaran")
    );
    let karangduren = karangduren.expect("Karangduren exists");
    assert_eq!(karangduren.name, "Desa Karangduren");
    assert_eq!(karangduren.parent_id, tengaran.map(|t| t.id));
}

async fn reference_load_idempotent(store: Store) {
    loaded(&store).await;
    let before = store.organizations().await.expect("list").len();
    let again = store.load_reference_data().await.expect("second load");
    assert_eq!(again.organizations_added, 0);
    assert_eq!(again.classifications_added, 0);
    assert!(again.warnings.is_empty(), "second load repeats warnings");
    assert_eq!(store.organizations().await.expect("list").len(), before);
}

fn org_input(
    code: &str,
    name: &str,
    kind: &str,
    parent: Option<serasi_domain::OrganizationId>,
) -> OrganizationInput {
    OrganizationInput {
        code: Some(code.into()),
        name: name.into(),
        kind: kind.into(),
        parent_id: parent,
        address: None,
    }
}

async fn organization_placement_and_cycles(store: Store) {
    loaded(&store).await;
    let regency = store
        .organization_by_code("33.22")
        .await
        .expect("q")
        .expect("regency");
    let agency = store
        .create_organization(
            &org_input("DTEST", "Dinas Uji", "agency", Some(regency.id))
                .validate()
                .expect("valid"),
            false,
        )
        .await
        .expect("agency created");
    let unit = store
        .create_organization(
            &org_input("DTEST.A", "Bidang A", "unit", Some(agency.id))
                .validate()
                .expect("valid"),
            false,
        )
        .await
        .expect("unit created");
    let sub = store
        .create_organization(
            &org_input("DTEST.A1", "Seksi A1", "unit", Some(unit.id))
                .validate()
                .expect("valid"),
            false,
        )
        .await
        .expect("sub-unit created");

    // A village cannot sit directly under an agency.
    let village = org_input("X1", "Desa X", "village", Some(agency.id))
        .validate()
        .expect("valid");
    assert!(matches!(
        store.create_organization(&village, false).await,
        Err(StoreError::Invalid(_))
    ));

    // Moving the unit under its own sub-unit would make a cycle.
    let moved = org_input("DTEST.A", "Bidang A", "unit", Some(sub.id))
        .validate()
        .expect("valid");
    assert!(matches!(
        store.update_organization(unit.id, &moved).await,
        Err(StoreError::Tree(_))
    ));

    // Unknown parent and duplicate code.
    let orphan = org_input(
        "Y1",
        "Y",
        "unit",
        Some(serasi_domain::OrganizationId::new()),
    )
    .validate()
    .expect("valid");
    assert!(matches!(
        store.create_organization(&orphan, false).await,
        Err(StoreError::NotFound { .. })
    ));
    let dup = org_input("DTEST", "Dinas Lain", "agency", Some(regency.id))
        .validate()
        .expect("valid");
    assert!(matches!(
        store.create_organization(&dup, false).await,
        Err(StoreError::Duplicate { field: "code", .. })
    ));

    // An organisation with children cannot be deleted.
    assert!(matches!(
        store.delete_organization(agency.id).await,
        Err(StoreError::Conflict(_))
    ));
    store
        .delete_organization(sub.id)
        .await
        .expect("leaf deleted");
}

fn employee(nip: &str, name: &str, org: serasi_domain::OrganizationId) -> EmployeeInput {
    EmployeeInput {
        identifier_kind: None,
        identifier: nip.into(),
        name: name.into(),
        rank: Some("III/a".into()),
        organization_id: Some(org),
        ..EmployeeInput::default()
    }
}

async fn duplicate_nip_rejected(store: Store) {
    loaded(&store).await;
    let org = store
        .organization_by_code("DISKOMINFO")
        .await
        .expect("q")
        .expect("agency");
    let fields = employee("19860926 201505 1 001", "Budi", org.id)
        .validate()
        .expect("valid");
    store
        .create_employee(&fields, false)
        .await
        .expect("first insert");
    let again = employee("198609262015051001", "Budi Lain", org.id)
        .validate()
        .expect("valid");
    assert!(matches!(
        store.create_employee(&again, false).await,
        Err(StoreError::Duplicate {
            field: "identifier",
            ..
        })
    ));
}

async fn employee_search_folds_case(store: Store) {
    loaded(&store).await;
    let org = store
        .organization_by_code("DINKES")
        .await
        .expect("q")
        .expect("agency");
    let fields = employee("198802292012032003", "Renée Wulandari", org.id)
        .validate()
        .expect("valid");
    let created = store.create_employee(&fields, false).await.expect("insert");
    for query in ["renee", "RENÉE", "wulan", "19880229"] {
        let (hits, total) = store
            .search_employees(query, None, 20, 0)
            .await
            .expect("search");
        assert_eq!(total, 1, "query {query}");
        assert_eq!(hits[0].employee.id, created.id, "query {query}");
    }
    let (hits, total) = store
        .search_employees("%", None, 20, 0)
        .await
        .expect("search");
    assert_eq!((hits.len(), total), (0, 0), "LIKE wildcards are literal");
}

async fn position_cycle_rejected(store: Store) {
    loaded(&store).await;
    let org = store
        .organization_by_code("DISKOMINFO")
        .await
        .expect("q")
        .expect("agency");
    let head = store
        .create_position(
            &PositionInput {
                organization_id: Some(org.id),
                name: "Kepala Dinas".into(),
                ..Default::default()
            }
            .validate()
            .expect("valid"),
            false,
        )
        .await
        .expect("head");
    let secretary = store
        .create_position(
            &PositionInput {
                organization_id: Some(org.id),
                name: "Sekretaris".into(),
                parent_id: Some(head.id),
                ..Default::default()
            }
            .validate()
            .expect("valid"),
            false,
        )
        .await
        .expect("secretary");
    let staff = store
        .create_position(
            &PositionInput {
                organization_id: Some(org.id),
                name: "Staf".into(),
                parent_id: Some(secretary.id),
                ..Default::default()
            }
            .validate()
            .expect("valid"),
            false,
        )
        .await
        .expect("staff");
    let cyclic = PositionInput {
        organization_id: Some(org.id),
        name: "Kepala Dinas".into(),
        parent_id: Some(staff.id),
        ..Default::default()
    };
    assert!(matches!(
        store
            .update_position(head.id, &cyclic.validate().expect("valid"))
            .await,
        Err(StoreError::Tree(_))
    ));
    let own = PositionInput {
        organization_id: Some(org.id),
        name: "Staf".into(),
        parent_id: Some(staff.id),
        ..Default::default()
    };
    assert!(matches!(
        store
            .update_position(staff.id, &own.validate().expect("valid"))
            .await,
        Err(StoreError::Tree(_))
    ));
}

fn row(line: usize, cells: &[(&str, &str)]) -> ImportRow {
    ImportRow {
        line,
        cells: cells
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect::<HashMap<_, _>>(),
    }
}

async fn import_is_all_or_nothing(store: Store) {
    loaded(&store).await;
    let rows = vec![
        row(
            2,
            &[
                ("identifier", "198609262015051001"),
                ("name", "Ani"),
                ("organization_code", "DISKOMINFO"),
            ],
        ),
        row(
            3,
            &[
                ("identifier", "123"),
                ("name", "Bad"),
                ("organization_code", "DISKOMINFO"),
            ],
        ),
        row(
            4,
            &[
                ("identifier", "198609262015051002"),
                ("name", "Cici"),
                ("organization_code", "NOPE"),
            ],
        ),
        row(
            5,
            &[
                ("identifier", "198609262015051001"),
                ("name", "Dup"),
                ("organization_code", "DISKOMINFO"),
            ],
        ),
    ];
    let Err(ImportError::Rows(errors)) = store.import_directory(ImportKind::Employees, &rows).await
    else {
        panic!("import with bad rows must fail");
    };
    let summary: Vec<(usize, &str)> = errors.iter().map(|e| (e.line, e.column.as_str())).collect();
    assert_eq!(
        summary,
        [
            (3, "identifier"),
            (4, "organization_code"),
            (5, "identifier")
        ]
    );
    assert!(matches!(errors[2].problem, RowProblem::Duplicate { .. }));
    let (_, total) = store
        .search_employees("", None, 10, 0)
        .await
        .expect("search");
    assert_eq!(total, 0, "nothing imported");

    let good = vec![
        row(
            2,
            &[
                ("code", "DTEST"),
                ("name", "Dinas Uji"),
                ("kind", "agency"),
                ("parent_code", "33.22"),
            ],
        ),
        row(
            3,
            &[
                ("code", "DTEST.1"),
                ("name", "Bidang Satu"),
                ("kind", "unit"),
                ("parent_code", "DTEST"),
            ],
        ),
    ];
    assert_eq!(
        store
            .import_directory(ImportKind::Organizations, &good)
            .await
            .expect("import"),
        2
    );
}

async fn login_lockout_after_failures(store: Store) {
    let user = store
        .create_user(&NewUser {
            username: "budi",
            password: "rahasia-sekali",
            role: Role::Employee,
            employee_id: None,
            is_demo: false,
            must_change_password: false,
        })
        .await
        .expect("user");
    let limits = LoginThrottle::default();
    let ok = store
        .authenticate("budi", "rahasia-sekali", "10.0.0.1", limits)
        .await
        .expect("login");
    assert_eq!(ok.id, user.id);
    for _ in 0..limits.max_failures {
        let err = store
            .authenticate("budi", "salah", "10.0.0.1", limits)
            .await;
        assert!(matches!(err, Err(LoginError::BadCredentials)));
    }
    let locked = store
        .authenticate("budi", "rahasia-sekali", "10.0.0.1", limits)
        .await;
    assert!(
        matches!(locked, Err(LoginError::Locked { .. })),
        "{locked:?}"
    );

    // Many failures from one client address are rate limited.
    let tight = LoginThrottle {
        max_client_failures: 3,
        ..limits
    };
    for _ in 0..3 {
        let _ = store.authenticate("nobody", "x", "10.0.0.9", tight).await;
    }
    let limited = store.authenticate("nobody", "x", "10.0.0.9", tight).await;
    assert!(
        matches!(limited, Err(LoginError::RateLimited { .. })),
        "{limited:?}"
    );
}

async fn session_and_token_lifecycle(store: Store) {
    let user = store
        .create_user(&NewUser {
            username: "sari",
            password: "rahasia-sekali",
            role: Role::Clerk,
            employee_id: None,
            is_demo: false,
            must_change_password: false,
        })
        .await
        .expect("user");
    let token = store
        .create_session(user.id, 60_000)
        .await
        .expect("session");
    let session = store
        .session(&token)
        .await
        .expect("q")
        .expect("live session");
    assert_eq!(session.user.id, user.id);
    store.end_session(&token).await.expect("logout");
    assert!(store.session(&token).await.expect("q").is_none());

    let expired = store.create_session(user.id, -1).await.expect("session");
    assert!(
        store.session(&expired).await.expect("q").is_none(),
        "expired session rejected"
    );

    let (id, secret) = store
        .create_api_token(user.id, "laptop")
        .await
        .expect("token");
    assert_eq!(
        store
            .user_by_api_token(&secret)
            .await
            .expect("q")
            .map(|u| u.id),
        Some(user.id)
    );
    store.revoke_api_token(user.id, id).await.expect("revoke");
    assert!(store.user_by_api_token(&secret).await.expect("q").is_none());

    let live = store
        .create_session(user.id, 60_000)
        .await
        .expect("session");
    store
        .set_password(
            user.id,
            "kata-sandi-baru",
            PasswordChange::ByOwner { keep_session: None },
        )
        .await
        .expect("change");
    assert!(
        store.session(&live).await.expect("q").is_none(),
        "password change ends sessions"
    );
}

async fn password_reset_revokes_tokens(store: Store) {
    let user = store
        .create_user(&NewUser {
            username: "rina",
            password: "rahasia-sekali",
            role: Role::Employee,
            employee_id: None,
            is_demo: false,
            must_change_password: false,
        })
        .await
        .expect("user");
    let (_, secret) = store
        .create_api_token(user.id, "script")
        .await
        .expect("token");
    let mine = store
        .create_session(user.id, 60_000)
        .await
        .expect("session");
    let other = store
        .create_session(user.id, 60_000)
        .await
        .expect("session");

    store
        .set_password(
            user.id,
            "kata-sandi-baru",
            PasswordChange::ByOwner {
                keep_session: Some(&mine),
            },
        )
        .await
        .expect("change");
    assert!(
        store.user_by_api_token(&secret).await.expect("q").is_some(),
        "own change keeps tokens"
    );
    assert!(
        store.session(&mine).await.expect("q").is_some(),
        "own session kept"
    );
    assert!(
        store.session(&other).await.expect("q").is_none(),
        "other session ended"
    );

    store
        .set_totp_secret(user.id, Some("JBSWY3DPEHPK3PXP"))
        .await
        .expect("totp on");
    store
        .set_password(user.id, "sekali-pakai-123", PasswordChange::Reset)
        .await
        .expect("reset");
    let reset = store.user(user.id).await.expect("q").expect("user");
    assert!(reset.must_change_password);
    assert!(
        store.user_by_api_token(&secret).await.expect("q").is_none(),
        "reset revokes tokens"
    );
    assert!(
        !reset.totp_enabled,
        "reset turns TOTP off for a lost authenticator"
    );
    assert!(
        store.session(&mine).await.expect("q").is_none(),
        "reset ends every session"
    );
}

async fn totp_step_accepted_once(store: Store) {
    let user = store
        .create_user(&NewUser {
            username: "tono",
            password: "rahasia-sekali",
            role: Role::Employee,
            employee_id: None,
            is_demo: false,
            must_change_password: false,
        })
        .await
        .expect("user");
    assert!(store.accept_totp_step(user.id, 100).await.expect("q"));
    assert!(
        !store.accept_totp_step(user.id, 100).await.expect("q"),
        "same step replayed"
    );
    assert!(
        !store.accept_totp_step(user.id, 99).await.expect("q"),
        "older step"
    );
    assert!(store.accept_totp_step(user.id, 101).await.expect("q"));
}

async fn control_characters_in_search(store: Store) {
    loaded(&store).await;
    let (hits, total) = store
        .search_employees("a\u{0}b", None, 10, 0)
        .await
        .expect("NUL is ignored");
    assert_eq!((hits.len(), total), (0, 0));
    store
        .search_classifications("\u{0}", 5)
        .await
        .expect("NUL is ignored");
    let bad_login = store
        .authenticate("ad\u{0}min", "x", "10.0.0.7", LoginThrottle::default())
        .await;
    assert!(
        matches!(bad_login, Err(LoginError::BadCredentials)),
        "{bad_login:?}"
    );
}

async fn classification_search_ranks_segments(store: Store) {
    loaded(&store).await;
    let rows = store
        .search_classifications("000.1.1", 50)
        .await
        .expect("search");
    let codes: Vec<&str> = rows.iter().map(|r| r.code.as_str()).collect();
    assert_eq!(codes.first(), Some(&"000.1.1"));
    let first_other = codes
        .iter()
        .position(|c| c.starts_with("000.1.10"))
        .expect("000.1.10 listed");
    let last_own = codes
        .iter()
        .rposition(|c| c.starts_with("000.1.1.") || *c == "000.1.1")
        .expect("own");
    assert!(last_own < first_other, "{codes:?}");
}

async fn concurrent_reference_loads(store: Store) {
    let (a, b) = tokio::join!(store.load_reference_data(), store.load_reference_data());
    let added =
        a.expect("first load").organizations_added + b.expect("second load").organizations_added;
    assert_eq!(added, store.organizations().await.expect("list").len());
}
