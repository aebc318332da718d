//! Interface translations. Bahasa Indonesia is the default; English is the
//! second language. Catalogs are flat `key = "text"` TOML files embedded at
//! build time, and a test checks both define the same keys.

use std::collections::HashMap;
use std::sync::LazyLock;

/// An interface language.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Locale {
    #[default]
    Id,
    En,
}

impl Locale {
    pub fn code(&self) -> &'static str {
        match self {
            Locale::Id => "id",
            Locale::En => "en",
        }
    }

    /// Picks the supported language the browser prefers most in an
    /// `Accept-Language` header, by its `q` weight (default 1).
    pub fn from_accept_language(header: &str) -> Option<Locale> {
        let mut best: Option<(f32, Locale)> = None;
        for part in header.split(',') {
            let mut pieces = part.split(';');
            let tag = pieces.next().unwrap_or_default().trim();
            let primary = tag
                .split('-')
                .next()
                .unwrap_or_default()
                .to_ascii_lowercase();
            let Some(locale) = Locale::parse(&primary) else {
                continue;
            };
            // A malformed weight counts as 0, so the entry is skipped.
            let weight = pieces
                .filter_map(|p| p.trim().strip_prefix("q="))
                .map(|q| q.trim().parse::<f32>().unwrap_or(0.0))
                .next()
                .unwrap_or(1.0);
            if weight > 0.0 && best.is_none_or(|(w, _)| weight > w) {
                best = Some((weight, locale));
            }
        }
        best.map(|(_, locale)| locale)
    }

    /// Parses `id` or `en`; anything else is `None`.
    pub fn parse(code: &str) -> Option<Locale> {
        match code.trim() {
            "id" => Some(Locale::Id),
            "en" => Some(Locale::En),
            _ => None,
        }
    }
}

type Catalog = HashMap<String, String>;

fn parse_catalog(name: &str, text: &str) -> Catalog {
    match toml::from_str::<Catalog>(text) {
        Ok(catalog) => catalog,
        Err(e) => {
            // The catalogs are compiled in and covered by tests, so this
            // only happens to a developer editing them.
            tracing::error!(catalog = name, error = %e, "translation catalog is invalid");
            Catalog::new()
        }
    }
}

static ID: LazyLock<Catalog> =
    LazyLock::new(|| parse_catalog("id", include_str!("../locales/id.toml")));
static EN: LazyLock<Catalog> =
    LazyLock::new(|| parse_catalog("en", include_str!("../locales/en.toml")));

/// Translator for one request; templates call `t.get("key")`.
#[derive(Clone, Copy, Debug)]
pub struct Tr {
    pub locale: Locale,
}

impl Tr {
    pub fn new(locale: Locale) -> Tr {
        Tr { locale }
    }

    fn catalog(&self) -> &'static Catalog {
        match self.locale {
            Locale::Id => &ID,
            Locale::En => &EN,
        }
    }

    /// Returns the text for `key`, or the key itself when it is missing so
    /// a gap shows up on screen instead of an empty label.
    pub fn get<'a>(&self, key: &'a str) -> &'a str {
        match self.catalog().get(key) {
            Some(text) => text.as_str(),
            None => key,
        }
    }

    /// Returns the text for `key` with each `{name}` replaced by its value.
    pub fn fmt(&self, key: &str, args: &[(&str, &str)]) -> String {
        let mut text = self.get(key).to_owned();
        for (name, value) in args {
            text = text.replace(&format!("{{{name}}}"), value);
        }
        text
    }

    pub fn lang(&self) -> &'static str {
        self.locale.code()
    }

    /// Formats an epoch-millisecond timestamp as a WIB date and time.
    pub fn datetime(&self, ms: i64) -> String {
        let at = serasi_store::from_ms(ms).to_offset(serasi_domain::wib::WIB);
        format!(
            "{} {:02}:{:02} WIB",
            self.date(at.date()),
            at.hour(),
            at.minute()
        )
    }

    /// Formats a date in the interface language: `4 Desember 2026`.
    pub fn date(&self, date: time::Date) -> String {
        match self.locale {
            Locale::Id => serasi_domain::wib::format_date_id(date),
            Locale::En => serasi_domain::wib::format_date_en(date),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogs_have_same_keys() {
        let mut id: Vec<_> = ID.keys().collect();
        let mut en: Vec<_> = EN.keys().collect();
        id.sort();
        en.sort();
        assert!(!id.is_empty());
        assert_eq!(id, en);
    }

    #[test]
    fn indonesian_is_default() {
        assert_eq!(Tr::new(Locale::default()).get("nav-directory"), "Direktori");
        assert_eq!(Tr::new(Locale::En).get("nav-directory"), "Directory");
    }

    #[test]
    fn accept_language() {
        assert_eq!(
            Locale::from_accept_language("en-US,en;q=0.9"),
            Some(Locale::En)
        );
        assert_eq!(
            Locale::from_accept_language("fr, id-ID;q=0.8"),
            Some(Locale::Id)
        );
        assert_eq!(Locale::from_accept_language("fr"), None);
        assert_eq!(
            Locale::from_accept_language("en;q=0.1, id;q=0.9"),
            Some(Locale::Id)
        );
        assert_eq!(Locale::from_accept_language("id;q=0, en"), Some(Locale::En));
    }

    #[test]
    fn wib_datetime() {
        // 2026-12-04 17:30 UTC is 5 December 00:30 in WIB.
        let ms = 1_796_405_400_000;
        assert_eq!(
            Tr::new(Locale::Id).datetime(ms),
            "5 Desember 2026 00:30 WIB"
        );
    }
}
