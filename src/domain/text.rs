//! Text as citizens and backends send it, made fit to keep and to show: control characters removed
//! (PostgreSQL cannot even store U+0000), spaces trimmed, at most a number of characters read.

/// One line: control characters removed, spaces trimmed; at most `most` characters are read.
pub fn one_line(raw: &str, most: usize) -> String {
    raw.chars()
        .filter(|c| !c.is_control())
        .take(most)
        .collect::<String>()
        .trim()
        .to_owned()
}

/// Several lines: line breaks kept (as `\n`), other control characters removed, spaces trimmed;
/// at most `most` characters are read.
pub fn lines(raw: &str, most: usize) -> String {
    raw.replace("\r\n", "\n")
        .chars()
        .filter(|c| *c == '\n' || !c.is_control())
        .take(most)
        .collect::<String>()
        .trim()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_go_and_line_breaks_stay_where_lines_are_kept() {
        assert_eq!(one_line(" a\u{0}b\tc\n ", 100), "abc");
        assert_eq!(lines(" a\u{0}b\r\nc\u{1b}\n ", 100), "ab\nc");
        assert_eq!(one_line("abcdef", 3), "abc");
        assert_eq!(lines("ab\ncd", 4), "ab\nc");
    }
}
