//! PDF documents the portal makes itself: the receipt (Empfangsbestätigung) of a sent application.
//!
//! Tagged PDF/UA-1 made with krilla, text in DejaVu Sans (embedded in the binary, `assets/fonts`).

mod receipt;

pub use receipt::{CaseFacts, ReceiptFonts, case_receipt};
