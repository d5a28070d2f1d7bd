//! The 14 Themenfelder of the OZG-Umsetzungskatalog, by which citizens browse services.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Topic {
    pub slug: &'static str,
    /// The translation key of the topic's name.
    pub label_key: &'static str,
}

pub const TOPICS: [Topic; 14] = [
    Topic {
        slug: "arbeit-ruhestand",
        label_key: "topic-arbeit-ruhestand",
    },
    Topic {
        slug: "bauen-wohnen",
        label_key: "topic-bauen-wohnen",
    },
    Topic {
        slug: "bildung",
        label_key: "topic-bildung",
    },
    Topic {
        slug: "ein-auswanderung",
        label_key: "topic-ein-auswanderung",
    },
    Topic {
        slug: "engagement-hobby",
        label_key: "topic-engagement-hobby",
    },
    Topic {
        slug: "familie-kind",
        label_key: "topic-familie-kind",
    },
    Topic {
        slug: "forschung-foerderung",
        label_key: "topic-forschung-foerderung",
    },
    Topic {
        slug: "gesundheit",
        label_key: "topic-gesundheit",
    },
    Topic {
        slug: "mobilitaet-reisen",
        label_key: "topic-mobilitaet-reisen",
    },
    Topic {
        slug: "querschnitt",
        label_key: "topic-querschnitt",
    },
    Topic {
        slug: "recht-ordnung",
        label_key: "topic-recht-ordnung",
    },
    Topic {
        slug: "steuern-zoll",
        label_key: "topic-steuern-zoll",
    },
    Topic {
        slug: "umwelt",
        label_key: "topic-umwelt",
    },
    Topic {
        slug: "unternehmen",
        label_key: "topic-unternehmen",
    },
];

impl Topic {
    pub fn parse(raw: &str) -> Result<Self, String> {
        TOPICS.iter().copied().find(|t| t.slug == raw).ok_or_else(|| {
            let known: Vec<&str> = TOPICS.iter().map(|t| t.slug).collect();
            format!("'{raw}' is not a topic, use one of: {}", known.join(", "))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_keys_follow_the_slugs() {
        for topic in TOPICS {
            assert_eq!(topic.label_key, format!("topic-{}", topic.slug));
        }
    }
}
