//! What a message in the Postfach is: from the authority a message or a decision (Bescheid), from
//! the citizen a reply.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageKind {
    Message,
    /// A Bescheid: its legal deadlines run from when it was made available.
    Decision,
    Reply,
}

impl MessageKind {
    /// The name as stored and as the API writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Message => "message",
            Self::Decision => "decision",
            Self::Reply => "reply",
        }
    }

    /// A kind the authority's backend may send.
    pub fn from_authority(name: &str) -> Option<Self> {
        [Self::Message, Self::Decision]
            .into_iter()
            .find(|kind| kind.as_str() == name)
    }

    /// `to_citizen` or `from_citizen`.
    pub fn direction(self) -> &'static str {
        match self {
            Self::Message | Self::Decision => "to_citizen",
            Self::Reply => "from_citizen",
        }
    }
}

/// The translation key of a stored kind's name, as the citizen reads it.
pub fn label_key(stored: &str) -> &'static str {
    match stored {
        "decision" => "postfach-kind-decision",
        "reply" => "postfach-kind-reply",
        _ => "postfach-kind-message",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_authority_sends_messages_and_decisions_and_only_citizens_reply() {
        assert_eq!(MessageKind::from_authority("message"), Some(MessageKind::Message));
        assert_eq!(MessageKind::from_authority("decision"), Some(MessageKind::Decision));
        assert_eq!(MessageKind::from_authority("reply"), None);
        assert_eq!(MessageKind::from_authority("Decision"), None);
        assert_eq!(MessageKind::Reply.direction(), "from_citizen");
        assert_eq!(MessageKind::Decision.direction(), "to_citizen");
    }
}
