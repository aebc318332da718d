//! Text folding for search: case and common Latin diacritics do not matter.

/// Lowercases `input` and strips diacritics from Latin letters, so `Café`,
/// `CAFE` and `cafe` fold alike.
pub fn fold(input: &str) -> String {
    input
        .chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' => 'a',
            'ç' | 'č' => 'c',
            'è' | 'é' | 'ê' | 'ë' | 'ē' => 'e',
            'ì' | 'í' | 'î' | 'ï' | 'ī' => 'i',
            'ñ' => 'n',
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ō' => 'o',
            'ù' | 'ú' | 'û' | 'ü' | 'ū' => 'u',
            'ý' | 'ÿ' => 'y',
            other => other,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::fold;

    #[test]
    fn case_and_diacritics() {
        assert_eq!(fold("CAFÉ"), "cafe");
        assert_eq!(fold("Café"), "cafe");
        assert_eq!(fold("Śri"), "śri");
    }
}
