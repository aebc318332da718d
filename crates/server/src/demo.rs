//! `serasi demo`: fictional staff for trying every role. Every person,
//! position and account it creates is flagged as demo data, and each run
//! gives the demo accounts fresh passwords and prints them.

use anyhow::Context;
use serasi_domain::PositionId;
use serasi_domain::directory::{EmployeeInput, PositionFields};
use serasi_domain::user::Role;
use serasi_store::{NewUser, Store};

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

const fn person(
    org_code: &'static str,
    position: &'static str,
    reports_to: Option<&'static str>,
    name: &'static str,
    identifier: &'static str,
    rank: Option<&'static str>,
    username: &'static str,
    role: Role,
) -> DemoPerson {
    DemoPerson { org_code, position, reports_to, name, identifier, rank, username, role }
}

const STAFF: [DemoPerson; 14] = [
    person("SETDA", "Sekretaris Daerah", None, "Dr. Bambang Wicaksono, M.Si. (demo)", "197003121995031002", Some("IV/c"), "demo.sekda", Role::Employee),
    person("SETDA.UMUM", "Kepala Bagian Umum", Some("Sekretaris Daerah"), "Rina Kusumawati, S.Sos. (demo)", "197805162003122004", Some("IV/a"), "demo.kabag.umum", Role::Employee),
    person("SETDA.UMUM", "Pengadministrasi Umum", Some("Kepala Bagian Umum"), "Agus Setiawan (demo)", "199001102015031003", Some("II/c"), "demo.operator.setda", Role::Clerk),
    person("DISKOMINFO", "Kepala Dinas Komunikasi dan Informatika", None, "Ir. Hendra Pratama, M.T. (demo)", "197206201998031005", Some("IV/b"), "demo.kadis.kominfo", Role::Employee),
    person("DISKOMINFO.SEK", "Sekretaris Dinas", Some("Kepala Dinas Komunikasi dan Informatika"), "Sri Wahyuni, S.E. (demo)", "198003082005012006", Some("III/d"), "demo.sekdis.kominfo", Role::Employee),
    person("DISKOMINFO.APTIKA", "Kepala Bidang Aplikasi Informatika", Some("Kepala Dinas Komunikasi dan Informatika"), "Dimas Anggoro, S.Kom. (demo)", "198511232010011007", Some("III/d"), "demo.kabid.aptika", Role::Employee),
    person("DISKOMINFO.APTIKA", "Pranata Komputer Ahli Pertama", Some("Kepala Bidang Aplikasi Informatika"), "Nur Aini, S.Kom. (demo)", "199504172020122008", Some("III/a"), "demo.staf.aptika", Role::Employee),
    person("DISKOMINFO.SEK", "Pengadministrasi Persuratan", Some("Sekretaris Dinas"), "Yoga Saputra (demo)", "199208302019031009", Some("II/b"), "demo.operator.kominfo", Role::Clerk),
    person("DINKES", "Kepala Dinas Kesehatan", None, "dr. Ratna Dewi, M.Kes. (demo)", "197401142000032010", Some("IV/b"), "demo.kadinkes", Role::Employee),
    person("33.22.02", "Camat Tengaran", None, "Slamet Riyadi, S.STP. (demo)", "197909092002121011", Some("III/d"), "demo.camat.tengaran", Role::Employee),
    person("33.22.02", "Pengadministrasi Kecamatan", Some("Camat Tengaran"), "Wulan Sari (demo)", "199406062018012012", Some("II/c"), "demo.operator.tengaran", Role::Clerk),
    person("33.22.02.2012", "Kepala Desa Karangduren", None, "Suparno (demo)", "DEMO-KD-2012-01", None, "demo.kades.karangduren", Role::Employee),
    person("33.22.02.2012", "Sekretaris Desa Karangduren", Some("Kepala Desa Karangduren"), "Siti Munawaroh (demo)", "DEMO-KD-2012-02", None, "demo.sekdes.karangduren", Role::Clerk),
    person("33.22.02.2001", "Kepala Desa Tengaran", None, "Joko Susilo (demo)", "DEMO-KD-2001-01", None, "demo.kades.tengaran", Role::Employee),
];

/// Finds the demo post named `name` in any of the demo organisations.
async fn find_post(store: &Store, name: &str) -> anyhow::Result<Option<PositionId>> {
    for person in &STAFF {
        let Some(org) = store.organization_by_code(person.org_code).await? else { continue };
        let found = store.positions_of(org.id).await?.into_iter().find(|v| v.position.name == name);
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
        .with_context(|| format!("reference organisation {} is missing; run `serasi import reference`", p.org_code))?;
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
    let fields = PositionFields { organization_id: org.id, name: p.position.to_owned(), parent_id, holder_id: Some(employee.id) };
    store.create_position(&fields, true).await?;
    Ok(employee.id)
}

/// Creates the demo staff (once) and gives every demo account a fresh
/// password, printed as a table of logins.
pub async fn fill(store: &Store) -> anyhow::Result<()> {
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
            Some(user) => store.set_password(user.id, &password).await?,
            None => {
                let new = NewUser { username, password: &password, role: *role, employee_id: *employee_id, is_demo: true };
                store.create_user(&new).await?;
            }
        }
    }
    println!("Demo staff (fictional, marked as demo data). Every demo account uses the password:");
    println!("  {password}");
    println!();
    println!("{:<28} {:<10} position", "username", "role");
    for (username, role, position, _) in &logins {
        println!("{username:<28} {:<10} {position}", role.as_str());
    }
    Ok(())
}
