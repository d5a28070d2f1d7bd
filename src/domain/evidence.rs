//! Evidence a citizen uploads: the kinds of file a form may accept, told by a file's content (its
//! first bytes), never by its name alone; and an uploaded file as a file field's answer lists it.

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

/// One uploaded file in a file field's answer (a JSON list of these). The file itself is in the
/// attachment store under the attachment `id`; the answer keeps what check-answers, the receipt and
/// the case show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadedFile {
    /// The attachment's id.
    pub id: String,
    /// The name for display, cleaned (`clean_file_name`); never a storage path.
    pub name: String,
    pub size: u64,
    #[serde(rename = "type")]
    pub file_type: FileType,
    /// SHA-256 of the content, hex.
    pub sha256: String,
}

impl UploadedFile {
    /// The files listed in a file field's answer; anything else in it is ignored.
    pub fn list(answer: Option<&Json>) -> Vec<Self> {
        match answer {
            Some(Json::Array(items)) => items
                .iter()
                .filter_map(|item| serde_json::from_value(item.clone()).ok())
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The size for people: kB below a megabyte, else MB with one decimal.
    pub fn size_text(&self) -> String {
        size_text(self.size)
    }
}

/// A size for people, in the units of the limits (10^3, 10^6 bytes), with a decimal comma.
pub fn size_text(bytes: u64) -> String {
    let kilobytes = bytes.div_ceil(1000).max(1);
    if kilobytes < 1000 {
        format!("{kilobytes} kB")
    } else {
        let tenths = (bytes + 50_000) / 100_000;
        match tenths % 10 {
            0 => format!("{} MB", tenths / 10),
            tenth => format!("{},{tenth} MB", tenths / 10),
        }
    }
}

/// A file name as the citizen's browser sent it, made safe to show: the last path part only,
/// without control characters, at most 120 characters (keeping the ending); "Datei" if nothing
/// is left.
pub fn clean_file_name(sent: &str) -> String {
    let last = sent.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last.chars().filter(|c| !c.is_control()).collect();
    let cleaned = cleaned.trim().trim_start_matches('.').trim();
    if cleaned.is_empty() {
        return "Datei".into();
    }
    let count = cleaned.chars().count();
    if count <= 120 {
        return cleaned.to_owned();
    }
    let ending: String = match cleaned.rsplit_once('.') {
        Some((_, ending)) if ending.chars().count() <= 10 => format!(".{ending}"),
        _ => String::new(),
    };
    let keep = 120 - ending.chars().count();
    cleaned.chars().take(keep).chain(ending.chars()).collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileType {
    Pdf,
    Jpeg,
    Png,
}

impl FileType {
    pub const ALL: [Self; 3] = [Self::Pdf, Self::Jpeg, Self::Png];

    /// The name in a form definition's `accept` list.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "pdf" => Some(Self::Pdf),
            "jpeg" | "jpg" => Some(Self::Jpeg),
            "png" => Some(Self::Png),
            _ => None,
        }
    }

    /// The name in a definition's `accept` list and in the database.
    pub fn name(self) -> &'static str {
        match self {
            Self::Pdf => "pdf",
            Self::Jpeg => "jpeg",
            Self::Png => "png",
        }
    }

    /// The media type of a file stored with this type name (`FileType::name`); a name no longer
    /// known is served as bytes.
    pub fn mime_of_stored(name: &str) -> &'static str {
        Self::parse(name).map_or("application/octet-stream", Self::mime)
    }

    pub fn mime(self) -> &'static str {
        match self {
            Self::Pdf => "application/pdf",
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
        }
    }

    /// As citizens know it, in hints and messages.
    pub fn label(self) -> &'static str {
        match self {
            Self::Pdf => "PDF",
            Self::Jpeg => "JPEG",
            Self::Png => "PNG",
        }
    }

    /// A file input's `accept` attribute for these types: their endings and media types.
    pub fn accept_attribute(types: &[Self]) -> String {
        types
            .iter()
            .flat_map(|t| {
                t.extensions()
                    .iter()
                    .map(|e| format!(".{e}"))
                    .chain([t.mime().to_owned()])
            })
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The endings a file of this type has, lower case.
    pub fn extensions(self) -> &'static [&'static str] {
        match self {
            Self::Pdf => &["pdf"],
            Self::Jpeg => &["jpg", "jpeg"],
            Self::Png => &["png"],
        }
    }

    /// What a file's first bytes say it is, if one of these.
    pub fn of_content(head: &[u8]) -> Option<Self> {
        match infer::get(head)?.mime_type() {
            "application/pdf" => Some(Self::Pdf),
            "image/jpeg" => Some(Self::Jpeg),
            "image/png" => Some(Self::Png),
            _ => None,
        }
    }

    /// Whether a file name's ending fits this type (a name without an ending fits any).
    pub fn fits_name(self, name: &str) -> bool {
        match name.rsplit_once('.') {
            Some((_, ending)) => self.extensions().contains(&ending.to_lowercase().as_str()),
            None => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_content_decides_not_the_name() {
        assert_eq!(FileType::of_content(b"%PDF-1.7\n%\xe2\xe3"), Some(FileType::Pdf));
        assert_eq!(
            FileType::of_content(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"),
            Some(FileType::Png)
        );
        assert_eq!(
            FileType::of_content(b"\xff\xd8\xff\xe0\0\x10JFIF"),
            Some(FileType::Jpeg)
        );
        assert_eq!(FileType::of_content(b"<html><script>alert(1)</script>"), None);
        assert_eq!(FileType::of_content(b"GIF89a"), None, "a type not on any list");
        assert!(FileType::Jpeg.fits_name("Foto.JPG"));
        assert!(!FileType::Pdf.fits_name("ausweis.pdf.html"));
        assert!(FileType::Pdf.fits_name("scan"));
    }

    #[test]
    fn file_names_are_cleaned_for_display() {
        assert_eq!(clean_file_name("C:\\Users\\anna\\ausweis.pdf"), "ausweis.pdf");
        assert_eq!(clean_file_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_file_name("a\0b\u{7}.pdf"), "ab.pdf");
        assert_eq!(clean_file_name("/"), "Datei");
        assert_eq!(clean_file_name(".htaccess"), "htaccess");
        let long = format!("{}.pdf", "x".repeat(5000));
        let cleaned = clean_file_name(&long);
        assert_eq!(cleaned.chars().count(), 120);
        assert!(cleaned.ends_with("x.pdf"));
    }

    #[test]
    fn sizes_read_like_the_limits() {
        assert_eq!(size_text(1), "1 kB");
        assert_eq!(size_text(999_999), "1 MB");
        assert_eq!(size_text(1_250_000), "1,3 MB");
        assert_eq!(size_text(10_000_000), "10 MB");
    }
}
