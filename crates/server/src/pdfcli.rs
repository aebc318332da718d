//! Command-line work on signed PDFs: creating the certificate authority,
//! checking a file offline and exporting a document's signed PDF.

use std::io::Write as _;
use std::path::Path;

use anyhow::{Context, bail};
use serasi_domain::DocumentId;
use serasi_store::Store;
use serasi_store::pdfs::PdfRecord;
use sha2::Digest as _;

use crate::config::Config;

pub async fn ca_init(store: &Store, config: &Config) -> anyhow::Result<()> {
    crate::bootstrap::load_reference(store).await?;
    let dir = config.ca_dir();
    let name = serasi_web::signing::installation_name(store).await?;
    let (ca, created) = serasi_web::signing::ensure_ca(store, &dir, &name).await?;
    let der = {
        use der::Encode as _;
        ca.root.to_der()?
    };
    let fingerprint = hex::encode(sha2::Sha256::digest(&der));
    if created {
        println!("Created the certificate authority in {}.", dir.display());
    } else {
        println!("The certificate authority already exists; nothing was changed.");
    }
    println!("  root certificate: {}", dir.join("root.pem").display());
    println!("  private key:      {}", dir.join("root-key.pem").display());
    println!("  SHA-256:          {fingerprint}");
    if !ca.has_key() {
        println!(
            "The private key is not in this folder: new signers cannot get certificates on this \
             server until the folder of the server that created it is copied here."
        );
    }
    Ok(())
}

pub async fn ca_list(store: &Store) -> anyhow::Result<()> {
    let certificates = store.all_certificates().await?;
    if certificates.is_empty() {
        println!("No signer certificates yet; each signer gets one at their first signature.");
    }
    for c in certificates {
        let status = if c.revoked_at.is_some() {
            "revoked"
        } else if c.superseded_at.is_some() {
            "superseded"
        } else {
            "active"
        };
        println!("{}  {status:<10}  {}", c.serial, c.subject);
    }
    Ok(())
}

pub async fn ca_revoke(store: &Store, serial: &str, reason: &str) -> anyhow::Result<()> {
    if reason.trim().is_empty() {
        bail!("give a reason with --reason, such as \"key compromised\"");
    }
    if store.certificate(serial).await?.is_none() {
        bail!("no signer certificate with serial {serial:?}; `serasi ca list` shows them");
    }
    if store.revoke_certificate(serial, reason.trim()).await? {
        println!("Revoked {serial}. Documents it signed are now reported as revoked.");
    } else {
        println!("{serial} was already revoked; nothing changed.");
    }
    Ok(())
}

fn describe(record: &PdfRecord) -> String {
    let number = record.number.as_deref().unwrap_or("-");
    let confidential = matches!(
        record.security,
        serasi_domain::document::SecurityClass::Secret
            | serasi_domain::document::SecurityClass::TopSecret
    );
    if confidential {
        format!("{number}, signed by {}", record.signer_name)
    } else {
        format!(
            "{number} of {}, {:?}, signed by {} ({})",
            record.letter_date.as_deref().unwrap_or("-"),
            record.subject,
            record.signer_name,
            record.signer_position
        )
    }
}

pub async fn verify(store: &Store, _config: &Config, file: &Path) -> anyhow::Result<()> {
    if !file.is_file() {
        bail!("{} is not a file", file.display());
    }
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let Some(pem) = store.ca_certificate().await? else {
        bail!(
            "this office has no certificate authority yet (run `serasi ca init`), so nothing can be verified"
        );
    };
    let roots = {
        use der::DecodePem as _;
        vec![x509_cert::Certificate::from_pem(pem.as_bytes())?]
    };
    let sha256 = serasi_pdf::sha256_hex(&bytes);
    let checks = match serasi_pdf::check(&bytes, &roots) {
        Ok(checks) => checks,
        Err(e) => bail!("{}: {e}", file.display()),
    };
    let record = store.pdfs_by_sha256(&sha256).await?.into_iter().next();
    let status = serasi_web::signing::verdict_status(record.as_ref(), &checks);
    println!("file:    {}", file.display());
    println!("SHA-256: {sha256}");
    for (i, check) in checks.iter().enumerate() {
        println!(
            "signature {}: {} (signer {:?}, intact {}, covers the whole file {}, certificate {:?}, serial {})",
            i + 1,
            if check.valid() { "valid" } else { "NOT valid" },
            check.signer_name,
            check.intact,
            check.covers_whole_file,
            check.trust,
            check.certificate_serial
        );
    }
    if let Some(record) = &record {
        println!("document: {}", describe(record));
    }
    match status {
        "valid" => {
            println!("result:  VALID, a genuine and unchanged document of this installation");
            Ok(())
        }
        "altered" => bail!("ALTERED: the file was changed after it was signed"),
        "unsigned" => bail!("UNSIGNED: the file carries no electronic signature"),
        "revoked" => bail!("REVOKED: the signer's certificate has been revoked"),
        "cancelled" => bail!("CANCELLED: the document was withdrawn after signing"),
        _ => bail!("UNKNOWN: this installation did not issue this file"),
    }
}

pub async fn export(
    store: &Store,
    config: &Config,
    document: &str,
    out: &Path,
) -> anyhow::Result<()> {
    let key = document.trim();
    let record = match uuid::Uuid::parse_str(key) {
        Ok(id) => store.document_pdf(DocumentId::from_uuid(id)).await?,
        Err(_) => match store.pdf_by_code(key).await? {
            Some(r) => Some(r),
            None => {
                let mut found = store.pdfs_by_number(key).await?;
                if found.len() > 1 {
                    bail!("{key:?} is the number of several documents; give the document id");
                }
                found.pop()
            }
        },
    };
    let Some(record) = record else {
        bail!(
            "no signed PDF found for {key:?} (give a document id, letter number or verification code)"
        );
    };
    let files = serasi_store::files::FileStore::open(&config.file_storage())?;
    let bytes = files.get(&record.sha256).await?;
    if out.as_os_str() == "-" {
        std::io::stdout().lock().write_all(&bytes)?;
    } else {
        std::fs::write(out, &bytes).with_context(|| format!("cannot write {}", out.display()))?;
        eprintln!(
            "Wrote {} ({} bytes, SHA-256 {}).",
            out.display(),
            bytes.len(),
            record.sha256
        );
    }
    Ok(())
}

fn bsre_client(config: &Config) -> anyhow::Result<serasi_pdf::bsre::BsreClient> {
    match config.signing().signer {
        serasi_web::signing::SignerChoice::Bsre(bsre) => {
            Ok(serasi_pdf::bsre::BsreClient::new(bsre)?)
        }
        serasi_web::signing::SignerChoice::Local => {
            bail!("signer is local; set signer = \"bsre\" and bsre_url to talk to BSrE")
        }
    }
}

pub async fn bsre_status(config: &Config, nik: &str) -> anyhow::Result<()> {
    let status = bsre_client(config)?.user_status(nik.trim()).await?;
    println!("{}", status.message);
    if status.active {
        println!("The certificate is usable for signing.");
        Ok(())
    } else {
        bail!("BSrE reports no usable certificate for this NIK")
    }
}

pub async fn bsre_verify(config: &Config, file: &Path) -> anyhow::Result<()> {
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let verdict = bsre_client(config)?.verify_pdf(&bytes).await?;
    println!("{}", verdict.summary);
    if verdict.valid {
        Ok(())
    } else {
        bail!("BSrE does not consider {} valid", file.display())
    }
}
