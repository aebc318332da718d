//! Text folding for search: case and common Latin diacritics do not matter.

/// Lowercases `input` and strips diacritics, so `Café`, `CAFE` and
/// `cafe` fold alike, and so do `Śri`/`sri` or `Łukasz`/`lukasz`. Letters
/// are decomposed (NFD) and their combining marks dropped; letters that
/// carry their mark inside (ł, ø, đ, ß and a few more) map to plain Latin.
pub fn fold(input: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    use unicode_normalization::char::is_combining_mark;
    let mut out = String::with_capacity(input.len());
    for c in input.nfd().filter(|c| !is_combining_mark(*c)) {
        for lower in c.to_lowercase() {
            match lower {
                'ł' => out.push('l'),
                'ø' => out.push('o'),
                'đ' | 'ð' => out.push('d'),
                'ħ' => out.push('h'),
                'ı' => out.push('i'),
                'ŧ' => out.push('t'),
                'ß' => out.push_str("ss"),
                'æ' => out.push_str("ae"),
                'œ' => out.push_str("oe"),
                'þ' => out.push_str("th"),
                other => out.push(other),
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::fold;

    #[test]
    fn case_and_diacritics() {
        assert_eq!(fold("CAFÉ"), "cafe");
        assert_eq!(fold("Café"), "cafe");
        assert_eq!(
            fold("Śri Łukasz Şahin Ďiakritik"),
            "sri lukasz sahin diakritik"
        );
        assert_eq!(fold("Straße Ødegaard"), "strasse odegaard");
    }
}
