//! Outgoing mail: `.eml` files under `<data_dir>/mail` by default, SMTP when `mail` is an `smtp://` URL.
//! Mails carry no answers, decisions or other personal data: only what happened and a link.

use std::path::Path;

use anyhow::Context;
use askama::Template;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::{Deserialize, Serialize};

use crate::i18n::Lang;

mod seal;
pub use seal::LinkSeal;

pub enum Transport {
    Files(AsyncFileTransport<Tokio1Executor>),
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
}

pub struct Mailer {
    transport: Transport,
    from: Mailbox,
    seal: LinkSeal,
}

/// One mail to a citizen: a subject, a few paragraphs and at most one link, in their language.
/// It is kept in the outbox until sent, so it is plain data: the texts are named by `name`
/// (`{name}-subject`, `{name}-text`, `{name}-link` in `locales/`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mail {
    pub to: String,
    pub lang: String,
    pub name: String,
    /// A link anyone may see (a case, the drafts).
    pub link: Option<String>,
    /// A link with a secret in it, sealed with [`LinkSeal`] until the mail is sent.
    #[serde(default)]
    pub sealed_link: Option<String>,
    /// The authority the mail speaks of (`$authority` in its texts).
    #[serde(default)]
    pub authority: Option<String>,
}

impl Mail {
    pub fn new(to: &str, lang: Lang, name: &str) -> Self {
        Self {
            to: to.to_owned(),
            lang: lang.code().to_owned(),
            name: name.to_owned(),
            link: None,
            sealed_link: None,
            authority: None,
        }
    }

    pub fn with_authority(self, name: &str) -> Self {
        Self {
            authority: Some(name.to_owned()),
            ..self
        }
    }

    pub fn with_link(self, link: String) -> Self {
        Self {
            link: Some(link),
            ..self
        }
    }

    /// A link that opens the account (verify, reset, change the address): kept sealed in the outbox.
    pub fn with_secret_link(self, link: &str, seal: &LinkSeal) -> anyhow::Result<Self> {
        Ok(Self {
            sealed_link: Some(seal.seal(link)?),
            ..self
        })
    }

    fn lang(&self) -> Lang {
        Lang::parse(&self.lang).unwrap_or_default()
    }

    fn text(&self, part: &str) -> String {
        format!("{}-{part}", self.name)
    }

    /// A part of the mail (`subject`, `text`, `link`) in its language, with its authority's name.
    fn say(&self, part: &str) -> String {
        let key = self.text(part);
        match &self.authority {
            Some(authority) => self.lang().t1(&key, "authority", authority.clone()),
            None => self.lang().t(&key).to_owned(),
        }
    }
}

#[derive(Template)]
#[template(path = "email/message.txt")]
struct TextBody<'a> {
    lang: Lang,
    mail: &'a Mail,
    link: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "email/message.html")]
struct HtmlBody<'a> {
    lang: Lang,
    mail: &'a Mail,
    link: Option<&'a str>,
}

/// Whether the `mail` URL sends over TLS: `smtps://` (implicit TLS) or `smtp://` with
/// `tls=required` (STARTTLS); lettre's `tls=opportunistic` may fall back to plain text.
pub fn is_encrypted(mail: &str) -> bool {
    url::Url::parse(mail).is_ok_and(|url| {
        url.scheme() == "smtps"
            || (url.scheme() == "smtp"
                && url
                    .query_pairs()
                    .any(|(key, value)| key == "tls" && value == "required"))
    })
}

impl Mailer {
    /// `mail` empty: files in `<data_dir>/mail`; otherwise an SMTP URL as lettre reads it
    /// (`smtp://host:port`, `smtps://user:pass@host`, `?tls=required`).
    pub fn new(mail: &str, from: &str, data_dir: &Path, seal: LinkSeal) -> anyhow::Result<Self> {
        let from = from
            .parse()
            .with_context(|| format!("mail_from '{from}' is not an address"))?;
        let transport = if mail.is_empty() {
            let dir = data_dir.join("mail");
            std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
            Transport::Files(AsyncFileTransport::new(dir))
        } else {
            let smtp = AsyncSmtpTransport::<Tokio1Executor>::from_url(mail)
                .context("mail must be empty or an smtp:// URL")?
                .timeout(Some(std::time::Duration::from_secs(10)))
                .build();
            Transport::Smtp(smtp)
        };
        Ok(Self { transport, from, seal })
    }

    /// Whether mails are written to files instead of sent (`mail` is empty).
    pub fn writes_files(&self) -> bool {
        matches!(self.transport, Transport::Files(_))
    }

    /// Sends a mail to a citizen. The outbox worker calls this and retries on an error.
    pub async fn send(&self, mail: &Mail) -> anyhow::Result<()> {
        let lang = mail.lang();
        let opened = match &mail.sealed_link {
            Some(sealed) => Some(
                self.seal
                    .open(sealed)
                    .context("the mail's link cannot be opened (was secret_key changed?)")?,
            ),
            None => None,
        };
        let link = opened.as_deref().or(mail.link.as_deref());
        let text = TextBody { lang, mail, link }.render()?;
        let html = HtmlBody { lang, mail, link }.render()?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(mail.to.parse().context("recipient is not an address")?)
            .subject(mail.say("subject"))
            .multipart(MultiPart::alternative_plain_html(text, html))?;
        self.transmit(message).await
    }

    /// A mail to an authority's mailbox with its own text and attachments (a delivered case).
    /// `message_id` is the same on every attempt, so the mailbox can recognise a repeat.
    pub async fn send_to_authority(
        &self,
        to: &str,
        message_id: String,
        subject: &str,
        text: String,
        attachments: Vec<(String, String, Vec<u8>)>,
    ) -> anyhow::Result<()> {
        let mut body = MultiPart::mixed().singlepart(SinglePart::plain(text));
        for (file_name, content_type, bytes) in attachments {
            let content_type = ContentType::parse(&content_type).context("attachment content type")?;
            body = body.singlepart(Attachment::new(file_name).body(bytes, content_type));
        }
        let message = Message::builder()
            .from(self.from.clone())
            .to(to.parse().context("recipient is not an address")?)
            .message_id(Some(message_id))
            .subject(subject)
            .multipart(body)?;
        self.transmit(message).await
    }

    async fn transmit(&self, message: Message) -> anyhow::Result<()> {
        match &self.transport {
            Transport::Files(files) => files
                .send(message)
                .await
                .map(|_| ())
                .context("writing the mail file failed"),
            Transport::Smtp(smtp) => smtp
                .send(message)
                .await
                .map(|_| ())
                .context("the mail server did not take the mail"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every mail the portal sends, by name, and whether it carries a link.
    const MAILS: &[(&str, bool)] = &[
        ("mail-verify", true),
        ("mail-exists", false),
        ("mail-reset", true),
        ("mail-password-changed", false),
        ("mail-change-email", true),
        ("mail-email-changed", false),
        ("mail-submitted", true),
        ("mail-draft-reminder", true),
        ("mail-new-message", true),
        ("mail-new-decision", true),
    ];

    #[test]
    fn only_implicit_tls_and_required_starttls_count_as_encrypted() {
        assert!(is_encrypted("smtps://user:pass@mail.example:465"));
        assert!(is_encrypted("smtp://mail.example:587?tls=required"));
        assert!(!is_encrypted("smtp://mail.example:587?tls=opportunistic"));
        assert!(!is_encrypted("smtp://mail.example:25"));
        assert!(!is_encrypted(""));
    }

    #[test]
    fn every_mail_has_its_texts_in_both_languages() {
        for lang in [Lang::De, Lang::En] {
            for (name, linked) in MAILS {
                let mail = Mail::new("a@example.de", lang, name).with_authority("Stadt Musterstadt");
                let mut parts = vec!["subject", "text"];
                if *linked {
                    parts.push("link");
                }
                for part in parts {
                    let key = mail.text(part);
                    assert_ne!(mail.say(part), key, "{key} is missing in {lang:?}");
                }
            }
        }
    }
}
