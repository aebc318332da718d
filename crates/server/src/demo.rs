//! `serasi demo`: fictional staff for trying every role. Every person,
//! position and account it creates is flagged as demo data, and each run
//! gives the demo accounts fresh passwords and prints them.

use anyhow::Context;
use serasi_domain::directory::{EmployeeInput, PositionFields};
use serasi_domain::document::{DraftInput, Recipient};
use serasi_domain::user::Role;
use serasi_domain::{DocumentId, EmployeeId, PositionId};
use serasi_store::{NewUser, PasswordChange, SignRequest, Store};
use serasi_web::i18n::{Locale, Tr};
use serasi_web::{AppState, WebConfig};

use crate::config::Config;

/// One fictional person: where they work, the post they hold, who that
/// post reports to (by post name) and their login.
struct DemoPerson {
    org_code: &'static str,
    position: &'static str,
    reports_to: Option<&'static str>,
    name: &'static str,
    /// A NIP, or a village official's number for village staff.
    identifier: &'static str,
    rank: Option<&'static str>,
    username: &'static str,
    role: Role,
}

const STAFF: [DemoPerson; 14] = [
    DemoPerson {
        org_code: "SETDA",
        position: "Sekretaris Daerah",
        reports_to: None,
        name: "Dr. Bambang Wicaksono, M.Si. (demo)",
        identifier: "197003121995031002",
        rank: Some("IV/c"),
        username: "demo.sekda",
        role: Role::Employee,
    },
    DemoPerson {
        org_code: "SETDA.UMUM",
        position: "Kepala Bagian Umum",
        reports_to: Some("Sekretaris Daerah"),
        name: "Rina Kusumawati, S.Sos. (demo)",
        identifier: "197805162003122004",
        rank: Some("IV/a"),
        username: "demo.kabag.umum",
        role: Role::Employee,
    },
    DemoPerson {
        org_code: "SETDA.UMUM",
        position: "Pengadministrasi Umum",
        reports_to: Some("Kepala Bagian Umum"),
        name: "Agus Setiawan (demo)",
        identifier: "199001102015031003",
        rank: Some("II/c"),
        username: "demo.operator.setda",
        role: Role::Clerk,
    },
    DemoPerson {
        org_code: "DISKOMINFO",
        position: "Kepala Dinas Komunikasi dan Informatika",
        reports_to: None,
        name: "Ir. Hendra Pratama, M.T. (demo)",
        identifier: "197206201998031005",
        rank: Some("IV/b"),
        username: "demo.kadis.kominfo",
        role: Role::Employee,
    },
    DemoPerson {
        org_code: "DISKOMINFO.SEK",
        position: "Sekretaris Dinas",
        reports_to: Some("Kepala Dinas Komunikasi dan Informatika"),
        name: "Sri Wahyuni, S.E. (demo)",
        identifier: "198003082005012006",
        rank: Some("III/d"),
        username: "demo.sekdis.kominfo",
        role: Role::Employee,
    },
    DemoPerson {
        org_code: "DISKOMINFO.APTIKA",
        position: "Kepala Bidang Aplikasi Informatika",
        reports_to: Some("Kepala Dinas Komunikasi dan Informatika"),
        name: "Dimas Anggoro, S.Kom. (demo)",
        identifier: "198511232010011007",
        rank: Some("III/d"),
        username: "demo.kabid.aptika",
        role: Role::Employee,
    },
    DemoPerson {
        org_code: "DISKOMINFO.APTIKA",
        position: "Pranata Komputer Ahli Pertama",
        reports_to: Some("Kepala Bidang Aplikasi Informatika"),
        name: "Nur Aini, S.Kom. (demo)",
        identifier: "199504172020122008",
        rank: Some("III/a"),
        username: "demo.staf.aptika",
        role: Role::Employee,
    },
    DemoPerson {
        org_code: "DISKOMINFO.SEK",
        position: "Pengadministrasi Persuratan",
        reports_to: Some("Sekretaris Dinas"),
        name: "Yoga Saputra (demo)",
        identifier: "199208302019031009",
        rank: Some("II/b"),
        username: "demo.operator.kominfo",
        role: Role::Clerk,
    },
    DemoPerson {
        org_code: "DINKES",
        position: "Kepala Dinas Kesehatan",
        reports_to: None,
        name: "dr. Ratna Dewi, M.Kes. (demo)",
        identifier: "197401142000032010",
        rank: Some("IV/b"),
        username: "demo.kadinkes",
        role: Role::Employee,
    },
    DemoPerson {
        org_code: "33.22.02",
        position: "Camat Tengaran",
        reports_to: None,
        name: "Slamet Riyadi, S.STP. (demo)",
        identifier: "197909092002121011",
        rank: Some("III/d"),
        username: "demo.camat.tengaran",
        role: Role::Employee,
    },
    DemoPerson {
        org_code: "33.22.02",
        position: "Pengadministrasi Kecamatan",
        reports_to: Some("Camat Tengaran"),
        name: "Wulan Sari (demo)",
        identifier: "199406062018012012",
        rank: Some("II/c"),
        username: "demo.operator.tengaran",
        role: Role::Clerk,
    },
    DemoPerson {
        org_code: "33.22.02.2009",
        position: "Kepala Desa Karangduren",
        reports_to: None,
        name: "Suparno (demo)",
        identifier: "DEMO-KD-2009-01",
        rank: None,
        username: "demo.kades.karangduren",
        role: Role::Employee,
    },
    DemoPerson {
        org_code: "33.22.02.2009",
        position: "Sekretaris Desa Karangduren",
        reports_to: Some("Kepala Desa Karangduren"),
        name: "Siti Munawaroh (demo)",
        identifier: "DEMO-KD-2009-02",
        rank: None,
        username: "demo.sekdes.karangduren",
        role: Role::Clerk,
    },
    DemoPerson {
        org_code: "33.22.02.2005",
        position: "Kepala Desa Tengaran",
        reports_to: None,
        name: "Joko Susilo (demo)",
        identifier: "DEMO-KD-2005-01",
        rank: None,
        username: "demo.kades.tengaran",
        role: Role::Employee,
    },
];

/// Finds the demo post named `name` in any of the demo organisations.
async fn find_post(store: &Store, name: &str) -> anyhow::Result<Option<PositionId>> {
    for person in &STAFF {
        let Some(org) = store.organization_by_code(person.org_code).await? else {
            continue;
        };
        let found = store
            .positions_of(org.id)
            .await?
            .into_iter()
            .find(|v| v.position.name == name);
        if let Some(view) = found {
            return Ok(Some(view.position.id));
        }
    }
    Ok(None)
}

async fn ensure_person(store: &Store, p: &DemoPerson) -> anyhow::Result<serasi_domain::EmployeeId> {
    if let Some(existing) = store.employee_by_identifier(p.identifier).await? {
        return Ok(existing.id);
    }
    let org = store
        .organization_by_code(p.org_code)
        .await?
        .with_context(|| {
            format!(
                "reference organisation {} is missing; run `serasi import reference`",
                p.org_code
            )
        })?;
    let is_village = p.identifier.starts_with("DEMO-");
    let input = EmployeeInput {
        identifier_kind: Some(if is_village { "village" } else { "nip" }.to_owned()),
        identifier: p.identifier.to_owned(),
        name: p.name.to_owned(),
        rank: p.rank.map(str::to_owned),
        email: Some(format!("{}@demo.serasi.invalid", p.username)),
        phone: None,
        organization_id: Some(org.id),
    };
    let employee = store.create_employee(&input.validate()?, true).await?;
    let parent_id = match p.reports_to {
        Some(name) => find_post(store, name).await?,
        None => None,
    };
    let fields = PositionFields {
        organization_id: org.id,
        name: p.position.to_owned(),
        parent_id,
        holder_id: Some(employee.id),
    };
    store.create_position(&fields, true).await?;
    Ok(employee.id)
}

/// Creates the demo staff (once) and gives every demo account a fresh
/// password, printed as a table of logins.
pub async fn fill(store: &Store, config: &Config) -> anyhow::Result<()> {
    let password = serasi_web::api::one_time_password();
    let admin_name = "demo.admin";
    let mut logins = Vec::new();
    for p in &STAFF {
        let employee_id = ensure_person(store, p).await?;
        logins.push((p.username, p.role, p.position, Some(employee_id)));
    }
    logins.push((admin_name, Role::Admin, "Administrator", None));

    for (username, role, _, employee_id) in &logins {
        match store.user_by_username(username).await? {
            Some(user) => {
                let change = PasswordChange::ByOwner { keep_session: None };
                store.set_password(user.id, &password, change).await?
            }
            None => {
                let new = NewUser {
                    username,
                    password: &password,
                    role: *role,
                    employee_id: *employee_id,
                    is_demo: true,
                    must_change_password: false,
                };
                store.create_user(&new).await?;
            }
        }
    }
    let signing = Signing {
        state: AppState::new(
            store.clone(),
            WebConfig {
                files: config.file_storage(),
                signing: config.signing(),
                ..WebConfig::default()
            },
        )
        .context("cannot open the file storage")?,
        password: password.clone(),
    };
    let added = letters(store, &signing).await?;
    let letters = if added.is_some() { LETTERS.len() } else { 0 };
    let signed = added.unwrap_or_default();
    println!("Demo staff (fictional, marked as demo data). Every demo account uses the password:");
    println!("  {password}");
    println!();
    println!("{:<28} {:<10} position", "username", "role");
    for (username, role, position, _) in &logins {
        println!("{username:<28} {:<10} {position}", role.as_str());
    }
    if letters > 0 {
        println!();
        println!(
            "Added {letters} demo letters: drafts, under review, returned, waiting for a signature, signed and read."
        );
        println!(
            "Registered 3 incoming letters with scans in Diskominfo's register (demo.operator.kominfo: Naskah → Surat masuk),"
        );
        println!(
            "two of them referred: a tree in progress and one referral past its deadline (demo.kadis.kominfo: Disposisi)."
        );
    }
    if !signed.is_empty() {
        let origin = config.public_origin();
        println!();
        println!("Signed demo letters (PDF for logged-in participants; check page for anyone):");
        for (number, id, code) in &signed {
            println!("  {number}");
            println!("    PDF:   {origin}/letters/{id}/pdf");
            println!("    check: {origin}/v/{code}");
        }
        println!("Or write one to a file: serasi export-pdf <document id> --out letter.pdf");
    }
    Ok(())
}

/// The application state and password the demo signs letters with, the
/// way the web application does.
struct Signing {
    state: AppState,
    password: String,
}

/// Looks up the employee and position of a demo person by login name.
async fn demo_person(store: &Store, username: &str) -> anyhow::Result<(EmployeeId, PositionId)> {
    let person = STAFF
        .iter()
        .find(|p| p.username == username)
        .with_context(|| format!("no demo person {username}"))?;
    let employee = store
        .employee_by_identifier(person.identifier)
        .await?
        .with_context(|| format!("demo person {username} is missing"))?;
    let position = find_post(store, person.position)
        .await?
        .with_context(|| format!("post of {username} is missing"))?;
    Ok((employee.id, position))
}

/// One demo letter: its author, kind, code, subject, addressees and copies
/// (by login name), external addressees, and how far it gets.
struct DemoLetter {
    author: &'static str,
    kind: &'static str,
    classification: &'static str,
    urgency: &'static str,
    subject: &'static str,
    body: &'static str,
    to: &'static [&'static str],
    copies: &'static [&'static str],
    external: &'static [(&'static str, &'static str)],
    coordinators: &'static [&'static str],
    stage: Stage,
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Stage {
    Draft,
    InReview,
    Returned,
    ReadyToSign,
    Signed,
    Read,
}

const LETTERS: [DemoLetter; 8] = [
    DemoLetter {
        author: "demo.staf.aptika",
        kind: "nota_dinas",
        classification: "000.5.2",
        urgency: "biasa",
        subject: "Usulan jadwal pelatihan aplikasi persuratan elektronik",
        body: "Dengan hormat,\n\nbersama ini kami usulkan jadwal pelatihan aplikasi persuratan elektronik bagi operator perangkat daerah:\n\n1. Gelombang I: 8 Desember 2026\n2. Gelombang II: 10 Desember 2026\n\nDemikian untuk menjadi periksa.",
        to: &["demo.kadinkes"],
        copies: &[],
        external: &[],
        coordinators: &[],
        stage: Stage::Draft,
    },
    DemoLetter {
        author: "demo.staf.aptika",
        kind: "surat_dinas",
        classification: "000.1.5",
        urgency: "segera",
        subject: "Permohonan data kesiapan jaringan internet desa",
        body: "Dengan hormat,\n\ndalam rangka perluasan layanan e-Office Desa, kami mohon data kesiapan jaringan internet di desa wilayah Kecamatan Tengaran.\n\n| No | Data | Batas waktu |\n|---|---|---|\n| 1 | Penyedia dan kecepatan | 15 Desember 2026 |\n| 2 | Perangkat komputer | 15 Desember 2026 |",
        to: &["demo.camat.tengaran"],
        copies: &["demo.sekda"],
        external: &[],
        coordinators: &[],
        stage: Stage::InReview,
    },
    DemoLetter {
        author: "demo.staf.aptika",
        kind: "nota_dinas",
        classification: "000.1.5",
        urgency: "biasa",
        subject: "Laporan gangguan server surat elektronik",
        body: "Dengan hormat,\n\nkami laporkan gangguan layanan pada 2 Desember 2026 pukul 08.00–09.30 WIB.",
        to: &["demo.sekdis.kominfo"],
        copies: &[],
        external: &[],
        coordinators: &[],
        stage: Stage::Returned,
    },
    DemoLetter {
        author: "demo.operator.kominfo",
        kind: "surat_undangan",
        classification: "000.1.5",
        urgency: "segera",
        subject: "Undangan rapat koordinasi Satu Data",
        body: "Dengan hormat,\n\nkami mengundang Saudara pada rapat koordinasi Satu Data Kabupaten Semarang:\n\n- Hari/tanggal: Rabu, 9 Desember 2026\n- Pukul: 09.00 WIB\n- Tempat: Ruang Rapat Diskominfo\n\nAtas kehadiran Saudara kami ucapkan terima kasih.",
        to: &["demo.camat.tengaran", "demo.kadinkes"],
        copies: &["demo.sekda"],
        external: &[],
        coordinators: &[],
        stage: Stage::ReadyToSign,
    },
    DemoLetter {
        author: "demo.staf.aptika",
        kind: "nota_dinas",
        classification: "000.5.2",
        urgency: "biasa",
        subject: "Permintaan akun operator e-Office untuk puskesmas",
        body: "Dengan hormat,\n\nkami mohon daftar nama operator puskesmas yang memerlukan akun e-Office.",
        to: &["demo.kadinkes"],
        copies: &["demo.kabag.umum"],
        external: &[],
        coordinators: &["demo.sekdis.kominfo"],
        stage: Stage::Signed,
    },
    DemoLetter {
        author: "demo.operator.kominfo",
        kind: "surat_dinas",
        classification: "400.14",
        urgency: "biasa",
        subject: "Penyampaian jadwal pemeliharaan jaringan",
        body: "Dengan hormat,\n\nkami sampaikan bahwa pemeliharaan jaringan dilaksanakan pada Sabtu, 12 Desember 2026 pukul 20.00–23.00 WIB.",
        to: &["demo.camat.tengaran"],
        copies: &[],
        external: &[(
            "Kepala Kantor PT Telekomunikasi Indonesia Ungaran",
            "Jl. Gatot Subroto, Ungaran",
        )],
        coordinators: &[],
        stage: Stage::Read,
    },
    DemoLetter {
        author: "demo.operator.kominfo",
        kind: "nota_dinas",
        classification: "800.1",
        urgency: "sangat_segera",
        subject: "Penugasan pendampingan operator e-Office Desa",
        body: "Dengan hormat,\n\nSaudara ditugaskan mendampingi operator e-Office Desa Karangduren pada 7 Desember 2026.",
        to: &["demo.staf.aptika"],
        copies: &["demo.kabid.aptika"],
        external: &[],
        coordinators: &[],
        stage: Stage::Signed,
    },
    DemoLetter {
        author: "demo.sekdes.karangduren",
        kind: "surat_keterangan",
        classification: "400.14",
        urgency: "biasa",
        subject: "Surat keterangan domisili kelompok tani",
        body: "Yang bertanda tangan di bawah ini menerangkan bahwa Kelompok Tani Sido Makmur berdomisili di Desa Karangduren, Kecamatan Tengaran.",
        to: &[],
        copies: &["demo.camat.tengaran"],
        external: &[],
        coordinators: &[],
        stage: Stage::Signed,
    },
];

/// Creates the demo letters once; returns the number, id and check code
/// of each letter it signed, or `None` when the letters existed already.
async fn letters(
    store: &Store,
    signing: &Signing,
) -> anyhow::Result<Option<Vec<(String, DocumentId, String)>>> {
    let mut signed = Vec::new();
    if store.count_demo_documents().await? > 0 {
        return Ok(None);
    }
    let today = serasi_domain::wib::today();
    for letter in &LETTERS {
        let (author, _) = demo_person(store, letter.author).await?;
        let mut addressees = Vec::new();
        for name in letter.to {
            addressees.push(Recipient::Position {
                position_id: demo_person(store, name).await?.1,
            });
        }
        for (name, address) in letter.external {
            addressees.push(Recipient::External {
                name: (*name).to_owned(),
                address: Some((*address).to_owned()),
            });
        }
        let mut copies = Vec::new();
        for name in letter.copies {
            copies.push(Recipient::Position {
                position_id: demo_person(store, name).await?.1,
            });
        }
        let mut coordinators = Vec::new();
        for name in letter.coordinators {
            coordinators.push(demo_person(store, name).await?.1);
        }
        let kind = store.document_kind(letter.kind).await?;
        let fields = DraftInput {
            kind: letter.kind.to_owned(),
            classification: letter.classification.to_owned(),
            urgency: Some(letter.urgency.to_owned()),
            subject: letter.subject.to_owned(),
            body: letter.body.to_owned(),
            addressees,
            copies,
            coordinators,
            ..DraftInput::default()
        }
        .validate(kind.layout)?;
        let id = store.create_draft(author, &fields, today, true).await?;
        if letter.stage == Stage::Draft {
            continue;
        }
        store.submit_document(id, author, today).await?;
        let view = store
            .document_for(
                id,
                serasi_store::Actor {
                    employee_id: author,
                    is_admin: false,
                    is_clerk: false,
                },
                today,
            )
            .await?;
        let holder = |position: PositionId| async move {
            store
                .position(position)
                .await?
                .and_then(|p| p.holder_id)
                .context("demo reviewer post is vacant")
        };
        if letter.stage == Stage::InReview {
            continue;
        }
        if letter.stage == Stage::Returned {
            let reviewer = view
                .reviews
                .first()
                .context("returned letter needs a reviewer")?;
            store
                .return_document(
                    id,
                    holder(reviewer.position_id).await?,
                    "Mohon lengkapi dampak gangguan terhadap layanan publik.",
                    today,
                )
                .await?;
            continue;
        }
        for review in &view.reviews {
            store
                .initial_document(id, holder(review.position_id).await?, None, today)
                .await?;
        }
        if letter.stage == Stage::ReadyToSign {
            continue;
        }
        let signer = holder(view.signer_position_id).await?;
        let user = store
            .user_of_employee(signer)
            .await?
            .context("demo signer has no account")?;
        let actor = serasi_store::Actor {
            employee_id: signer,
            is_admin: false,
            is_clerk: false,
        };
        let request = SignRequest::default();
        let attempt = serasi_web::signing::SignAttempt {
            user: &user,
            actor,
            client: "demo",
            id,
            request: &request,
            confirm: serasi_web::signing::Confirmation {
                password: Some(&signing.password),
                totp: None,
            },
        };
        let (number, code) =
            serasi_web::signing::sign_document(&signing.state, Tr::new(Locale::En), attempt)
                .await
                .map_err(|e| {
                    anyhow::anyhow!("signing demo letter {:?}: {}", letter.subject, e.message)
                })?;
        signed.push((number, id, code));
        if letter.stage == Stage::Read {
            for delivery in store.document_deliveries(id).await? {
                if let Some(reader) = delivery.employee_id {
                    store.mark_document_read(id, reader).await?;
                }
            }
        }
    }
    incoming(store, signing, today).await?;
    Ok(Some(signed))
}

/// Registers three letters from outside in Diskominfo's incoming register,
/// each with a scan, and refers two of them: one tree in progress on
/// three levels, and one referral past its deadline.
async fn incoming(store: &Store, signing: &Signing, today: time::Date) -> anyhow::Result<()> {
    let (clerk, _) = demo_person(store, "demo.operator.kominfo").await?;
    let (_, head) = demo_person(store, "demo.kadis.kominfo").await?;
    let org = store
        .organization_by_code("DISKOMINFO")
        .await?
        .context("Diskominfo is missing")?;
    let letters = [
        (
            "Kepala Kantor Pos Ungaran",
            "123/KP-UNG/XII/2026",
            "Pemberitahuan jadwal layanan akhir tahun",
            "biasa",
        ),
        (
            "Sekretaris Daerah Provinsi Jawa Tengah",
            "000.1.2/4567/2026",
            "Undangan rapat koordinasi SPBE",
            "segera",
        ),
        (
            "Direktur PT Telkom Indonesia Witel Semarang",
            "045/TEL/XII/2026",
            "Penawaran peningkatan kapasitas jaringan",
            "biasa",
        ),
    ];
    let mut ids = Vec::new();
    for (sender, number, subject, urgency) in letters {
        let fields = serasi_domain::incoming::IncomingInput {
            sender: sender.to_owned(),
            sender_number: number.to_owned(),
            sender_date: Some(today - time::Duration::days(2)),
            received_on: Some(today),
            subject: subject.to_owned(),
            classification: "000.1.2".to_owned(),
            urgency: Some(urgency.to_owned()),
            addressee_position_id: Some(head),
            ..serasi_domain::incoming::IncomingInput::default()
        }
        .validate(today)?;
        let registered = store.register_incoming(org.id, clerk, &fields).await?;
        let scan = serasi_pdf::table::render_table(
            &serasi_pdf::table::TableDoc {
                title: subject.to_owned(),
                organization: sender.to_owned(),
                subtitle: number.to_owned(),
                footer: "Pindaian contoh (demo)".to_owned(),
                columns: vec!["Isi surat".to_owned()],
                widths: vec![1.0],
                rows: vec![vec![format!(
                    "Dengan hormat, bersama ini kami sampaikan {}. Demikian untuk menjadi perhatian.",
                    subject.to_lowercase()
                )]],
            },
            today,
        )?;
        let sha256 = signing.state.files().put(&scan).await?;
        let text = serasi_pdf::table::text_layer(&scan, 5);
        store.put_file_text(&sha256, &text).await?;
        store
            .add_incoming_file(
                registered.id,
                &serasi_store::incoming::IncomingFile {
                    seq: 0,
                    name: "pindaian.pdf".to_owned(),
                    content_type: "application/pdf".to_owned(),
                    size: i64::try_from(scan.len()).unwrap_or(i64::MAX),
                    sha256,
                    added_at: 0,
                },
            )
            .await?;
        ids.push(registered.id);
    }
    dispositions(store, &ids, today).await
}

/// Refers the first letter to the secretary with a deadline two days ago
/// (overdue), and the second to the secretary and the head of division,
/// who passes it to staff; the secretary reports done and staff is at
/// work.
async fn dispositions(
    store: &Store,
    letters: &[serasi_domain::IncomingId],
    today: time::Date,
) -> anyhow::Result<()> {
    use serasi_domain::disposition::{DispositionAction, DispositionFields};
    use serasi_domain::document::Urgency;
    let actor = |employee_id| serasi_store::Actor {
        employee_id,
        is_admin: false,
        is_clerk: false,
    };
    let (head, _) = demo_person(store, "demo.kadis.kominfo").await?;
    let (secretary, secretary_post) = demo_person(store, "demo.sekdis.kominfo").await?;
    let (division, division_post) = demo_person(store, "demo.kabid.aptika").await?;
    let (staff, staff_post) = demo_person(store, "demo.staf.aptika").await?;
    let fields =
        |to: Vec<PositionId>, instructions: &[&str], note: &str, days: i64| DispositionFields {
            recipients: to,
            instructions: instructions.iter().map(|s| (*s).to_owned()).collect(),
            note: note.to_owned(),
            deadline: Some(today + time::Duration::days(days)),
            urgency: Urgency::Urgent,
        };
    let [overdue_letter, tree_letter, ..] = letters else {
        return Ok(());
    };
    // The deadline lies two days back, so the referral shows as overdue.
    store
        .dispose(
            *overdue_letter,
            None,
            actor(head),
            &fields(
                vec![secretary_post],
                &["Pelajari", "Arsipkan"],
                "Mohon dicatat jadwalnya.",
                -2,
            ),
            today,
        )
        .await?;
    let first = store
        .dispose(
            *tree_letter,
            None,
            actor(head),
            &fields(
                vec![secretary_post, division_post],
                &["Hadiri/Wakili", "Koordinasikan"],
                "Siapkan bahan paparan SPBE.",
                3,
            ),
            today,
        )
        .await?;
    if let [to_secretary, to_division, ..] = first.as_slice() {
        store
            .act_on_disposition(
                *to_secretary,
                actor(secretary),
                DispositionAction::Finish,
                Some("Undangan sudah dijadwalkan di agenda pimpinan."),
                today,
            )
            .await?;
        store
            .dispose(
                *tree_letter,
                Some(*to_division),
                actor(division),
                &fields(
                    vec![staff_post],
                    &["Siapkan jawaban"],
                    "Susun data aplikasi untuk paparan.",
                    2,
                ),
                today,
            )
            .await?;
        let (received, _) = store
            .dispositions(
                actor(staff),
                serasi_store::dispositions::DispositionBox::Received,
                true,
                time::OffsetDateTime::now_utc(),
                1,
                10,
            )
            .await?;
        for line in received {
            if let Some(id) = line.id {
                store
                    .act_on_disposition(id, actor(staff), DispositionAction::Start, None, today)
                    .await?;
            }
        }
    }
    Ok(())
}
