//! The receipt: title, authority, service, reference, time, fee, and every answer as the citizen saw
//! it on check-answers, as a table per section. Laid out first (lines, pages), then drawn, each
//! line a tagged span in a tag tree that reads like the page: headings, paragraphs, tables.

use std::num::NonZeroU16;

use krilla::Document;
use krilla::configure::{Accessibility, ConfigurationBuilder};
use krilla::destination::XyzDestination;
use krilla::geom::Point;
use krilla::metadata::Metadata;
use krilla::outline::{Outline, OutlineNode};
use krilla::page::PageSettings;
use krilla::surface::Surface;
use krilla::tagging::{ContentTag, Node, SpanTag, TableHeaderScope, Tag, TagGroup, TagTree};
use krilla::text::{Font, TextDirection};
use krilla::{SerializeSettings, error::KrillaError};
use skrifa::instance::{LocationRef, Size};
use skrifa::{FontRef, MetadataProvider};

use chrono::{DateTime, Utc};

use crate::db::applications::SummaryLine;
use crate::db::payments::PaidFee;
use crate::domain::Money;
use crate::i18n::Lang;
use crate::payment;

const REGULAR: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
const BOLD: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf");

/// A4 in points, with 2 cm margins.
const PAGE_WIDTH: f32 = 595.0;
const PAGE_HEIGHT: f32 = 842.0;
const MARGIN: f32 = 57.0;
const LABEL_WIDTH: f32 = 190.0;
const GAP: f32 = 12.0;

/// The two faces, parsed once at start.
pub struct ReceiptFonts {
    regular: Font,
    bold: Font,
}

impl ReceiptFonts {
    pub fn load() -> anyhow::Result<Self> {
        let font = |bytes: &'static [u8]| {
            Font::new(bytes.into(), 0).ok_or_else(|| anyhow::anyhow!("the receipt font cannot be read"))
        };
        Ok(Self {
            regular: font(REGULAR)?,
            bold: font(BOLD)?,
        })
    }
}

/// The facts of a sent case that its receipt shows.
pub struct CaseFacts<'a> {
    pub reference: &'a str,
    pub authority: &'a str,
    pub service: &'a str,
    pub submitted_at: DateTime<Utc>,
    pub fee_cents: Option<i64>,
    /// The fee paid online for it, if one was.
    pub paid: Option<&'a PaidFee>,
    pub answers: &'a [SummaryLine],
}

/// The receipt of a sent case in `lang`, as the citizen downloads it and the authority receives it.
/// Laying out and compressing takes milliseconds: callers on request threads run it off them.
pub fn case_receipt(case: &CaseFacts<'_>, lang: Lang, fonts: &ReceiptFonts) -> anyhow::Result<Vec<u8>> {
    let receipt = Receipt {
        lang: lang.code(),
        title: lang.t("receipt-title"),
        facts: facts(case, lang),
        answers: case.answers,
        note: lang.t("receipt-note"),
    };
    render(&receipt, fonts).map_err(|e| anyhow::anyhow!("the receipt PDF could not be made: {e:?}"))
}

/// The lines above the answers: reference, authority, service, when sent, and the fee (paid online,
/// with the provider's reference, or to be paid).
fn facts(case: &CaseFacts<'_>, lang: Lang) -> Vec<(&'static str, String)> {
    let mut facts = vec![
        (lang.t("form-done-reference-short"), case.reference.to_owned()),
        (lang.t("receipt-authority"), case.authority.to_owned()),
        (lang.t("form-done-service"), case.service.to_owned()),
        (lang.t("form-done-sent"), lang.date_time(case.submitted_at)),
    ];
    match (case.paid, case.fee_cents.filter(|c| *c > 0)) {
        (Some(paid), _) => {
            facts.push((lang.t("form-fee-title"), payment::paid_text(lang, paid)));
            if let Some(reference) = &paid.reference {
                facts.push((lang.t("fee-payment-reference"), reference.clone()));
            }
        }
        (None, Some(cents)) => facts.push((lang.t("form-fee-title"), lang.money(Money::from_cents(cents)))),
        (None, None) => {}
    }
    facts
}

/// What the receipt says; labels already in the citizen's language.
struct Receipt<'a> {
    pub lang: &'a str,
    pub title: &'a str,
    pub facts: Vec<(&'a str, String)>,
    pub answers: &'a [SummaryLine],
    /// A closing remark, e.g. that the receipt is valid without a signature.
    pub note: &'a str,
}

#[derive(Clone, Copy, PartialEq)]
enum Face {
    Regular,
    Bold,
}

impl Face {
    fn bytes(self) -> &'static [u8] {
        match self {
            Self::Regular => REGULAR,
            Self::Bold => BOLD,
        }
    }
}

/// Width of a text in points, from the font's advance widths (no kerning: wrapping stays on the
/// safe side).
fn width(text: &str, face: Face, size: f32) -> f32 {
    let Ok(font) = FontRef::new(face.bytes()) else {
        return text.chars().count() as f32 * size;
    };
    let charmap = font.charmap();
    let metrics = font.glyph_metrics(Size::new(size), LocationRef::default());
    text.chars()
        .map(|c| {
            charmap
                .map(c)
                .and_then(|g| metrics.advance_width(g))
                .unwrap_or(size * 0.6)
        })
        .sum()
}

/// The text with every character the font cannot show (emoji, say) replaced by U+FFFD, and control
/// characters dropped: PDF/UA allows no missing glyphs.
fn printable(text: &str, face: Face) -> String {
    let Ok(font) = FontRef::new(face.bytes()) else {
        return text.to_owned();
    };
    let charmap = font.charmap();
    text.chars()
        .filter(|c| *c == '\n' || !c.is_control())
        .map(|c| {
            if c == '\n' || charmap.map(c).is_some() {
                c
            } else {
                '\u{fffd}'
            }
        })
        .collect()
}

/// Breaks a text into lines no wider than `max`; words longer than a line are split.
fn wrap(text: &str, face: Face, size: f32, max: f32) -> Vec<String> {
    let text = printable(text, face);
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        for word in paragraph.split_whitespace() {
            let candidate = if line.is_empty() {
                word.to_owned()
            } else {
                format!("{line} {word}")
            };
            if width(&candidate, face, size) <= max {
                line = candidate;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            for c in word.chars() {
                line.push(c);
                if width(&line, face, size) > max {
                    line.pop();
                    lines.push(std::mem::take(&mut line));
                    line.push(c);
                }
            }
        }
        lines.push(line);
    }
    lines
}

/// One line to draw, and the tag group (by index) its span belongs to.
struct Line {
    text: String,
    x: f32,
    y: f32,
    face: Face,
    size: f32,
    group: usize,
}

/// How the leaf groups, in the order they were made, nest into the tag tree.
enum Block {
    /// A heading or paragraph: one leaf.
    Leaf,
    /// A table of this many rows, each a header cell and a data cell: two leaves per row.
    Table(usize),
}

struct Layout {
    pages: Vec<Vec<Line>>,
    leaves: Vec<TagGroup>,
    blocks: Vec<Block>,
    /// Headings for the document outline (PDF/UA wants one): level, text, page, top.
    headings: Vec<(u16, String, usize, f32)>,
    y: f32,
}

impl Layout {
    fn new() -> Self {
        Self {
            pages: vec![Vec::new()],
            leaves: Vec::new(),
            blocks: Vec::new(),
            headings: Vec::new(),
            y: MARGIN,
        }
    }

    fn leaf(&mut self, tag: impl Into<krilla::tagging::TagKind>) -> usize {
        self.leaves.push(TagGroup::new(tag));
        self.leaves.len() - 1
    }

    /// Room for `height` more points on this page, or a new page.
    fn make_room(&mut self, height: f32) {
        if self.y + height > PAGE_HEIGHT - MARGIN {
            self.pages.push(Vec::new());
            self.y = MARGIN;
        }
    }

    fn lines(&mut self, lines: Vec<String>, x: f32, face: Face, size: f32, group: usize) -> f32 {
        let height = size * 1.4;
        let mut y = self.y;
        for text in lines {
            if y + height > PAGE_HEIGHT - MARGIN {
                self.pages.push(Vec::new());
                self.y = MARGIN;
                y = MARGIN;
            }
            y += height;
            if let Some(page) = self.pages.last_mut() {
                page.push(Line {
                    text,
                    x,
                    y: y - size * 0.3,
                    face,
                    size,
                    group,
                });
            }
        }
        y
    }

    fn heading(&mut self, level: u16, text: &str, size: f32) {
        self.make_room(size * 4.0);
        self.y += size * 0.6;
        let level = NonZeroU16::new(level).unwrap_or(NonZeroU16::MIN);
        let group = self.leaf(Tag::Hn(level, Some(text.to_owned())));
        self.blocks.push(Block::Leaf);
        self.headings
            .push((level.get(), text.to_owned(), self.pages.len() - 1, self.y));
        let lines = wrap(text, Face::Bold, size, PAGE_WIDTH - 2.0 * MARGIN);
        self.y = self.lines(lines, MARGIN, Face::Bold, size, group) + size * 0.4;
    }

    fn paragraph(&mut self, text: &str, face: Face, size: f32) {
        let group = self.leaf(Tag::P);
        self.blocks.push(Block::Leaf);
        let lines = wrap(text, face, size, PAGE_WIDTH - 2.0 * MARGIN);
        self.y = self.lines(lines, MARGIN, face, size, group) + size * 0.5;
    }

    fn table(&mut self, rows: &[(&str, &str)], size: f32) {
        for (label, value) in rows {
            let th = self.leaf(Tag::TH(TableHeaderScope::Row));
            let td = self.leaf(Tag::TD);
            let label_lines = wrap(label, Face::Bold, size, LABEL_WIDTH);
            let value_lines = wrap(
                value,
                Face::Regular,
                size,
                PAGE_WIDTH - 2.0 * MARGIN - LABEL_WIDTH - GAP,
            );
            let count = label_lines.len().max(value_lines.len());
            let height = size * 1.4;
            // Keep a short row together on one page; a long one breaks with both columns together.
            self.make_room(height * count.min(6) as f32);
            let (mut labels, mut values) = (label_lines.into_iter(), value_lines.into_iter());
            for _ in 0..count {
                self.make_room(height);
                self.y += height;
                let y = self.y - size * 0.3;
                if let Some(page) = self.pages.last_mut() {
                    if let Some(text) = labels.next() {
                        page.push(Line {
                            text,
                            x: MARGIN,
                            y,
                            face: Face::Bold,
                            size,
                            group: th,
                        });
                    }
                    if let Some(text) = values.next() {
                        let x = MARGIN + LABEL_WIDTH + GAP;
                        page.push(Line {
                            text,
                            x,
                            y,
                            face: Face::Regular,
                            size,
                            group: td,
                        });
                    }
                }
            }
            self.y += size * 0.6;
        }
        self.blocks.push(Block::Table(rows.len()));
    }
}

/// Makes the receipt. Fails only if krilla refuses the document (a bug, logged by the caller).
fn render(receipt: &Receipt<'_>, fonts: &ReceiptFonts) -> Result<Vec<u8>, KrillaError> {
    let mut layout = Layout::new();
    layout.heading(1, receipt.title, 20.0);
    let facts: Vec<(&str, &str)> = receipt.facts.iter().map(|(k, v)| (*k, v.as_str())).collect();
    layout.table(&facts, 10.5);
    let mut section = "";
    let mut rows: Vec<(&str, &str)> = Vec::new();
    for line in receipt.answers {
        if line.section != section {
            if !rows.is_empty() {
                layout.table(&rows, 10.0);
                rows.clear();
            }
            layout.heading(2, &line.section, 13.0);
            section = &line.section;
        }
        rows.push((&line.label, &line.value));
    }
    if !rows.is_empty() {
        layout.table(&rows, 10.0);
    }
    layout.y += 10.0;
    layout.paragraph(receipt.note, Face::Regular, 9.0);

    let configuration = ConfigurationBuilder::new()
        .with_accessibility_validator(Accessibility::UA1)
        .finish()
        .unwrap_or_default();
    let mut document = Document::new_with(SerializeSettings {
        configuration,
        enable_tagging: true,
        ..Default::default()
    });
    let Layout {
        pages,
        mut leaves,
        blocks,
        headings,
        ..
    } = layout;
    for lines in pages {
        let Some(settings) = PageSettings::from_wh(PAGE_WIDTH, PAGE_HEIGHT) else {
            continue;
        };
        let mut page = document.start_page_with(settings);
        let mut surface = page.surface();
        for line in lines {
            let font = match line.face {
                Face::Regular => fonts.regular.clone(),
                Face::Bold => fonts.bold.clone(),
            };
            if let Some(leaf) = leaves.get_mut(line.group) {
                leaf.push(draw(&mut surface, font, &line, receipt.lang));
            }
        }
        surface.finish();
        page.finish();
    }
    let mut tree = TagTree::new().with_lang(Some(receipt.lang.to_owned()));
    let mut nodes = leaves.into_iter().map(Node::from);
    for block in blocks {
        match block {
            Block::Leaf => {
                if let Some(node) = nodes.next() {
                    tree.push(node);
                }
            }
            Block::Table(rows) => {
                let rows = (0..rows)
                    .map(|_| TagGroup::with_children(Tag::TR, nodes.by_ref().take(2).collect()).into())
                    .collect();
                tree.push(TagGroup::with_children(Tag::Table, rows));
            }
        }
    }
    document.set_tag_tree(tree);
    document.set_outline(outline(headings));
    document.set_metadata(
        Metadata::new()
            .title(receipt.title.to_owned())
            .language(receipt.lang.to_owned()),
    );
    document.finish()
}

/// Bookmarks: the title, with the sections beneath it.
fn outline(headings: Vec<(u16, String, usize, f32)>) -> Outline {
    let mut outline = Outline::new();
    let mut top: Option<OutlineNode> = None;
    for (level, text, page, y) in headings {
        let node = OutlineNode::new(text, XyzDestination::new(page, Point::from_xy(MARGIN, y)));
        match (level, top.as_mut()) {
            (1, _) | (_, None) => {
                if let Some(done) = top.replace(node) {
                    outline.push_child(done);
                }
            }
            (_, Some(parent)) => parent.push_child(node),
        }
    }
    if let Some(done) = top {
        outline.push_child(done);
    }
    outline
}

/// Draws one line as a tagged span; `start_tagged` and `end_tagged` always come in pairs.
fn draw(surface: &mut Surface<'_>, font: Font, line: &Line, lang: &str) -> krilla::tagging::Identifier {
    let mut span = SpanTag::empty();
    span.lang = Some(lang);
    let id = surface.start_tagged(ContentTag::Span(span));
    surface.draw_text(
        Point::from_xy(line.x, line.y),
        font,
        line.size,
        &line.text,
        false,
        TextDirection::Auto,
    );
    surface.end_tagged();
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(section: &str, label: &str, value: &str) -> SummaryLine {
        SummaryLine {
            section: section.into(),
            label: label.into(),
            value: value.into(),
            ..SummaryLine::default()
        }
    }

    #[test]
    fn a_fee_paid_online_is_stated_with_its_time_and_reference_and_an_unpaid_one_as_the_amount() {
        let at = DateTime::parse_from_rfc3339("2026-12-05T13:03:00Z").unwrap().to_utc();
        let paid = PaidFee {
            amount_cents: 3070,
            transaction_id: Some("t-1".into()),
            reference: Some("KZ-2026-17".into()),
            method: Some("CREDITCARD".into()),
            paid_at: Some(at),
        };
        let mut case = CaseFacts {
            reference: "7K3P-9QX2-M",
            authority: "Stadt Musterstadt",
            service: "Anwohnerparkausweis",
            submitted_at: at,
            fee_cents: Some(3070),
            paid: Some(&paid),
            answers: &[],
        };
        let lines = facts(&case, Lang::De);
        assert!(
            lines.contains(&("Gebühr", "30,70 €, bezahlt am 05.12.2026, 14:03 Uhr".into())),
            "{lines:?}"
        );
        assert!(lines.contains(&("Zahlungsreferenz", "KZ-2026-17".into())));
        case.paid = None;
        let lines = facts(&case, Lang::De);
        assert!(lines.contains(&("Gebühr", "30,70 €".into())), "{lines:?}");
        assert!(!lines.iter().any(|(label, _)| *label == "Zahlungsreferenz"));
    }

    #[test]
    fn a_receipt_is_a_tagged_pdf_over_as_many_pages_as_it_needs() {
        let fonts = ReceiptFonts::load().unwrap();
        let long = "Ein sehr langer Text, der umbrechen muss. ".repeat(40);
        let mut answers = vec![
            line("Ihre Angaben", "Vorname", "Erika"),
            line("Ihre Angaben", "Anschrift", "Heidestraße 17\n51147 Musterstadt"),
            line("Ihr Anliegen", "Nachricht", &long),
            line("Ihr Anliegen", "Ohne Leerzeichen", &"x".repeat(500)),
            line("Ihr Anliegen", "Andere Schriften", "مرحبا שלום 🐕"),
        ];
        for i in 0..60 {
            answers.push(line("Hunde", &format!("Hund {i}"), "Bello"));
        }
        let receipt = Receipt {
            lang: "de",
            title: "Empfangsbestätigung",
            facts: vec![
                ("Aktenzeichen", "7K3P-9QX2-M".into()),
                ("Behörde", "Stadt Musterstadt".into()),
            ],
            answers: &answers,
            note: "Maschinell erstellt, ohne Unterschrift gültig.",
        };
        let pdf = render(&receipt, &fonts).unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        let text = String::from_utf8_lossy(&pdf);
        assert!(text.contains("/StructTreeRoot"), "tagged");
        assert!(text.contains("/Lang"), "with a language");
        std::fs::write(std::env::temp_dir().join("bp-receipt-test.pdf"), &pdf).unwrap();
    }

    #[test]
    fn wrapping_keeps_lines_inside_the_width() {
        let lines = wrap(
            "Die Laterne vor der Heidestraße 17 ist seit einer Woche aus.",
            Face::Regular,
            10.0,
            120.0,
        );
        assert!(lines.len() > 1);
        assert!(lines.iter().all(|l| width(l, Face::Regular, 10.0) <= 120.0));
        assert_eq!(
            lines.join(" "),
            "Die Laterne vor der Heidestraße 17 ist seit einer Woche aus."
        );
    }
}
