//! Reference data that ships with Serasi: Kemendagri region codes of
//! Kabupaten Semarang, the Permendagri 83/2022 archive classification and
//! the default list of the regency's agencies. Parsing reports defects of
//! the source files as warnings instead of hiding or fixing them.

use std::collections::HashSet;

use serde::Deserialize;

use crate::classification::ClassificationCode;
use crate::directory::OrganizationKind;

const REGIONS_CSV: &str = include_str!("../../../data/wilayah_kabupaten_semarang.csv");
const CLASSIFICATIONS_CSV: &str = include_str!("../../../data/klasifikasi_arsip_pemda.csv");
const AGENCIES_CSV: &str = include_str!("../../../data/agencies.csv");

#[derive(Debug, thiserror::Error)]
pub enum RefDataError {
    #[error("{file} line {line}: {reason}")]
    Row {
        file: &'static str,
        line: u64,
        reason: String,
    },
    #[error("{file}: {source}")]
    Csv {
        file: &'static str,
        source: csv::Error,
    },
}

/// A region of the Kemendagri code list, loaded as an organisation.
#[derive(Debug, Clone)]
pub struct Region {
    pub code: String,
    pub name: String,
    pub kind: OrganizationKind,
    pub parent_code: Option<String>,
}

/// One archive classification code with its name.
#[derive(Debug, Clone)]
pub struct Classification {
    pub code: ClassificationCode,
    pub name: String,
    pub parent: Option<ClassificationCode>,
}

/// A defect found in reference data, named by its code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefWarning {
    /// The row names a parent code that the list does not contain.
    MissingParent { code: String, parent: String },
    /// The name ends mid-phrase, cut off when the source PDF was extracted.
    TruncatedName { code: String, name: String },
    /// The 4th segment marks desa (2xxx) or kelurahan (1xxx), contradicting
    /// the level column.
    VillageDigitMismatch { code: String },
}

impl std::fmt::Display for RefWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RefWarning::MissingParent { code, parent } => {
                write!(
                    f,
                    "classification {code} names parent {parent}, which is not in the list"
                )
            }
            RefWarning::TruncatedName { code, name } => {
                write!(
                    f,
                    "classification {code} has a name cut off mid-phrase: {name:?}"
                )
            }
            RefWarning::VillageDigitMismatch { code } => {
                write!(
                    f,
                    "region {code}: 4th segment contradicts its desa/kelurahan level"
                )
            }
        }
    }
}

#[derive(Deserialize)]
struct RegionRow {
    code: String,
    name: String,
    level: String,
    parent_code: String,
}

#[derive(Deserialize)]
struct ClassificationRow {
    code: String,
    name: String,
    level: usize,
    parent_code: String,
}

/// A default agency or unit of the regency, from `data/agencies.csv`.
#[derive(Debug, Clone, Deserialize)]
pub struct AgencySeed {
    pub code: String,
    pub name: String,
    pub kind: OrganizationKind,
    /// Code of the parent organisation; the regency's code for agencies.
    pub parent_code: String,
    #[serde(default)]
    pub address: String,
}

fn rows<T: for<'de> Deserialize<'de>>(
    file: &'static str,
    text: &str,
) -> Result<Vec<(u64, T)>, RefDataError> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let mut out = Vec::new();
    for record in reader.deserialize::<T>() {
        let record = record.map_err(|source| RefDataError::Csv { file, source })?;
        out.push((out.len() as u64 + 2, record));
    }
    Ok(out)
}

fn region_code_is_valid(code: &str) -> bool {
    let widths: Vec<usize> = code.split('.').map(str::len).collect();
    let digits = code
        .split('.')
        .all(|s| s.chars().all(|c| c.is_ascii_digit()));
    digits && matches!(widths.as_slice(), [2, 2] | [2, 2, 2] | [2, 2, 2, 4])
}

/// Parses the region list: the regency, its kecamatan and villages.
pub fn regions() -> Result<(Vec<Region>, Vec<RefWarning>), RefDataError> {
    const FILE: &str = "wilayah_kabupaten_semarang.csv";
    let mut regions = Vec::new();
    let mut warnings = Vec::new();
    for (line, row) in rows::<RegionRow>(FILE, REGIONS_CSV)? {
        let err = |reason: String| RefDataError::Row {
            file: FILE,
            line,
            reason,
        };
        if !region_code_is_valid(&row.code) {
            return Err(err(format!("invalid region code {:?}", row.code)));
        }
        let kind = match row.level.as_str() {
            "kabupaten" => OrganizationKind::Regency,
            "kecamatan" => OrganizationKind::District,
            "desa" => OrganizationKind::Village,
            "kelurahan" => OrganizationKind::UrbanVillage,
            other => return Err(err(format!("unknown level {other:?}"))),
        };
        if let Some(last) = row.code.rsplit('.').next().filter(|s| s.len() == 4) {
            let marked_desa = last.starts_with('2');
            if marked_desa != (kind == OrganizationKind::Village) {
                warnings.push(RefWarning::VillageDigitMismatch {
                    code: row.code.clone(),
                });
            }
        }
        // The regency's parent is the province, which is not an organisation here.
        let parent_code = (kind != OrganizationKind::Regency).then_some(row.parent_code);
        regions.push(Region {
            code: row.code,
            name: row.name,
            kind,
            parent_code,
        });
    }
    Ok((regions, warnings))
}

/// Words after which a classification name is evidently cut off.
const DANGLING_WORDS: [&str; 14] = [
    "dan", "atau", "serta", "untuk", "di", "ke", "yang", "dari", "pada", "dengan", "oleh", "dalam",
    "bagi", "tentang",
];

fn looks_truncated(name: &str) -> bool {
    let name = name.trim_end();
    if name.ends_with(',') || name.ends_with('/') {
        return true;
    }
    let last = name.rsplit(' ').next().unwrap_or_default().to_lowercase();
    name.contains(' ') && DANGLING_WORDS.contains(&last.as_str())
}

/// Parses the archive classification list and reports its defects.
pub fn classifications() -> Result<(Vec<Classification>, Vec<RefWarning>), RefDataError> {
    const FILE: &str = "klasifikasi_arsip_pemda.csv";
    let parsed = rows::<ClassificationRow>(FILE, CLASSIFICATIONS_CSV)?;
    let mut items = Vec::with_capacity(parsed.len());
    for (line, row) in parsed {
        let err = |reason: String| RefDataError::Row {
            file: FILE,
            line,
            reason,
        };
        let code = ClassificationCode::parse(&row.code).map_err(|e| err(e.to_string()))?;
        if code.level() != row.level {
            return Err(err(format!("code {code} is not at level {}", row.level)));
        }
        let parent = match row.parent_code.trim() {
            "" => None,
            p => Some(ClassificationCode::parse(p).map_err(|e| err(e.to_string()))?),
        };
        items.push(Classification {
            code,
            name: row.name.trim().to_owned(),
            parent,
        });
    }

    let known: HashSet<&str> = items.iter().map(|c| c.code.as_str()).collect();
    let mut warnings = Vec::new();
    for item in &items {
        if let Some(parent) = item.parent.as_ref().filter(|p| !known.contains(p.as_str())) {
            warnings.push(RefWarning::MissingParent {
                code: item.code.to_string(),
                parent: parent.to_string(),
            });
        }
        if looks_truncated(&item.name) {
            warnings.push(RefWarning::TruncatedName {
                code: item.code.to_string(),
                name: item.name.clone(),
            });
        }
    }
    Ok((items, warnings))
}

/// Parses the editable default list of agencies and their units.
pub fn default_agencies() -> Result<Vec<AgencySeed>, RefDataError> {
    Ok(rows::<AgencySeed>("agencies.csv", AGENCIES_CSV)?
        .into_iter()
        .map(|(_, seed)| seed)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn semarang_regions() {
        let (regions, warnings) = regions().expect("region list parses");
        let count = |kind| regions.iter().filter(|r| r.kind == kind).count();
        assert_eq!(count(OrganizationKind::Regency), 1);
        assert_eq!(count(OrganizationKind::District), 19);
        assert_eq!(count(OrganizationKind::Village), 208);
        assert_eq!(count(OrganizationKind::UrbanVillage), 27);
        assert!(warnings.is_empty(), "{warnings:?}");
        assert!(!regions.iter().any(|r| r.code == "33.22.14"));
    }

    #[test]
    fn classification_codes_and_orphan() {
        let (items, warnings) = classifications().expect("classification list parses");
        assert_eq!(items.len(), 2981);
        let per_level = |n| items.iter().filter(|c| c.code.level() == n).count();
        assert_eq!(
            [per_level(1), per_level(2), per_level(3), per_level(4)],
            [10, 56, 675, 2240]
        );
        let orphans: Vec<_> = warnings
            .iter()
            .filter(|w| matches!(w, RefWarning::MissingParent { .. }))
            .collect();
        assert_eq!(
            orphans,
            [&RefWarning::MissingParent {
                code: "270.04.05".into(),
                parent: "270.04".into()
            }]
        );
        assert!(warnings.contains(&RefWarning::TruncatedName {
            code: "000.1.10.1".into(),
            name: "Pengamanan, Penjagaan, dan".into()
        }));
    }

    #[test]
    fn truncation_heuristic() {
        assert!(looks_truncated("Data hasil inventarisasi dan"));
        assert!(looks_truncated(
            "Administrasi Pakaian Dinas Pegawai, Satpam,"
        ));
        assert!(!looks_truncated("Perjalanan Dinas Dalam Negeri"));
        assert!(!looks_truncated("Umum"));
    }

    #[test]
    fn default_agencies_sit_under_known_parents() {
        let agencies = default_agencies().expect("agency list parses");
        assert!(agencies.len() >= 30);
        let mut known: HashSet<String> = HashSet::from(["33.22".to_owned()]);
        for seed in &agencies {
            assert!(
                known.contains(&seed.parent_code),
                "{} has unknown parent",
                seed.code
            );
            known.insert(seed.code.clone());
        }
    }
}
