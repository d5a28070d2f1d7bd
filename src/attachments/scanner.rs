//! The virus scan: a file is streamed to ClamAV's `clamd` (INSTREAM over TCP) before it is
//! accepted. Fail closed: a file that could not be scanned is not accepted.

use std::path::Path;
use std::time::Duration;

/// How long a scan may take before the file is refused as not scanned.
const SCAN_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Debug, Clone)]
pub enum Scanner {
    /// `clamd` at this address (`host:port`).
    Clamd(String),
    /// No scan (`virus_scan = "off"`, or demo mode without a scanner).
    Off,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    Clean,
    /// The signature's name, as clamd reports it.
    Infected(String),
}

#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error("clamd at {0} could not be reached or did not answer: {1}")]
    Unreachable(String, std::io::Error),
    #[error("clamd at {0} took longer than {SCAN_TIMEOUT:?}")]
    TimedOut(String),
    /// E.g. `INSTREAM size limit exceeded. ERROR`: clamd's StreamMaxLength is below the upload limit.
    #[error("clamd at {0} answered {1:?}")]
    Refused(String, String),
}

impl Scanner {
    /// The setting `virus_scan`: `off`, or clamd's `host:port`.
    pub fn from_setting(setting: &str) -> Option<Self> {
        match setting.trim() {
            "" => None,
            "off" => Some(Self::Off),
            address => Some(Self::Clamd(address.to_owned())),
        }
    }

    /// What the setting records with each file: `clamd`, or `off` when nothing scanned it.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Clamd(_) => "clamd",
            Self::Off => "off",
        }
    }

    /// Scans the file at `path`, streaming it to clamd in chunks.
    pub async fn scan(&self, path: &Path) -> Result<Verdict, ScanError> {
        let Self::Clamd(address) = self else {
            return Ok(Verdict::Clean);
        };
        let connection = clamav_client::tokio::Tcp {
            host_address: address.as_str(),
        };
        let answer = tokio::time::timeout(
            SCAN_TIMEOUT,
            clamav_client::tokio::scan_file(path, connection, Some(64 * 1024)),
        )
        .await
        .map_err(|_| ScanError::TimedOut(address.clone()))?
        .map_err(|e| ScanError::Unreachable(address.clone(), e))?;
        verdict(&answer).ok_or_else(|| ScanError::Refused(address.clone(), String::from_utf8_lossy(&answer).into()))
    }
}

/// `stream: OK` or `stream: <signature> FOUND` (NUL-terminated); anything else is no verdict.
fn verdict(answer: &[u8]) -> Option<Verdict> {
    let text = std::str::from_utf8(answer).ok()?;
    let text = text.trim_end_matches(['\0', '\n']).strip_prefix("stream: ")?;
    if text == "OK" {
        return Some(Verdict::Clean);
    }
    text.strip_suffix(" FOUND")
        .map(|name| Verdict::Infected(name.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_clear_answer_is_a_verdict() {
        assert_eq!(verdict(b"stream: OK\0"), Some(Verdict::Clean));
        assert_eq!(
            verdict(b"stream: Eicar-Test-Signature.UNOFFICIAL FOUND\0"),
            Some(Verdict::Infected("Eicar-Test-Signature.UNOFFICIAL".into()))
        );
        assert_eq!(verdict(b"INSTREAM size limit exceeded. ERROR\0"), None);
        assert_eq!(verdict(b""), None);
    }
}
