//! The 14 Themenfelder of the OZG-Umsetzungskatalog, by which citizens browse services.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Topic {
    pub slug: &'static str,
}

pub const TOPICS: [Topic; 14] = [
    Topic {
        slug: "arbeit-ruhestand",
    },
    Topic { slug: "bauen-wohnen" },
    Topic { slug: "bildung" },
    Topic {
        slug: "ein-auswanderung",
    },
    Topic {
        slug: "engagement-hobby",
    },
    Topic { slug: "familie-kind" },
    Topic {
        slug: "forschung-foerderung",
    },
    Topic { slug: "gesundheit" },
    Topic {
        slug: "mobilitaet-reisen",
    },
    Topic { slug: "querschnitt" },
    Topic { slug: "recht-ordnung" },
    Topic { slug: "steuern-zoll" },
    Topic { slug: "umwelt" },
    Topic { slug: "unternehmen" },
];

impl Topic {
    pub fn parse(raw: &str) -> Result<Self, String> {
        TOPICS.iter().copied().find(|t| t.slug == raw).ok_or_else(|| {
            let known: Vec<&str> = TOPICS.iter().map(|t| t.slug).collect();
            format!("'{raw}' is not a topic, use one of: {}", known.join(", "))
        })
    }

    /// The translation key of the topic's name.
    pub fn label_key(self) -> String {
        format!("topic-{}", self.slug)
    }
}
