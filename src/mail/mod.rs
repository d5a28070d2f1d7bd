//! Outgoing mail: `.eml` files under `<data_dir>/mail` by default, SMTP when `mail` is an `smtp://` URL.
//! Mails carry no answers, decisions or other personal data: only what happened and a link.

use std::path::Path;

use anyhow::Context;
use askama::Template;
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::i18n::Lang;

pub enum Transport {
    Files(AsyncFileTransport<Tokio1Executor>),
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
}

pub struct Mailer {
    transport: Transport,
    from: Mailbox,
}

/// One mail: a subject, a few paragraphs and at most one link, in the citizen's language.
pub struct Mail<'a> {
    pub lang: Lang,
    pub subject_key: &'static str,
    pub text_key: &'static str,
    pub link: Option<(&'static str, &'a str)>,
}

#[derive(Template)]
#[template(path = "email/message.txt")]
struct TextBody<'a> {
    lang: Lang,
    mail: &'a Mail<'a>,
}

#[derive(Template)]
#[template(path = "email/message.html")]
struct HtmlBody<'a> {
    lang: Lang,
    mail: &'a Mail<'a>,
}

impl Mailer {
    /// `mail` empty: files in `<data_dir>/mail`; otherwise an SMTP URL as lettre reads it
    /// (`smtp://host:port`, `smtps://user:pass@host`, `?tls=required`).
    pub fn new(mail: &str, from: &str, data_dir: &Path) -> anyhow::Result<Self> {
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
        Ok(Self { transport, from })
    }

    /// Sends and says whether it worked; a failure is logged (with the mail's subject key, never its
    /// recipient or link), because the caller answers the citizen the same way either way.
    pub async fn deliver(&self, to: &str, mail: &Mail<'_>) -> bool {
        match self.send(to, mail).await {
            Ok(()) => true,
            Err(e) => {
                tracing::warn!(error = %format!("{e:#}"), mail = mail.subject_key, "a mail could not be sent");
                false
            }
        }
    }

    async fn send(&self, to: &str, mail: &Mail<'_>) -> anyhow::Result<()> {
        let text = TextBody { lang: mail.lang, mail }.render()?;
        let html = HtmlBody { lang: mail.lang, mail }.render()?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to.parse().context("recipient is not an address")?)
            .subject(mail.lang.t(mail.subject_key))
            .multipart(MultiPart::alternative_plain_html(text, html))?;
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
