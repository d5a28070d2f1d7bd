//! A form as its authority wrote it: the text the catalogue files hold and the database keeps, named
//! by its hash so that tenants with the same form share one copy.

use sha2::{Digest, Sha256};

use super::definition::{DefinitionProblem, FormDefinition};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormFormat {
    Toml,
    Json,
}

impl FormFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Toml => "toml",
            Self::Json => "json",
        }
    }

    /// The format named by a file's extension or a database column.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "toml" => Some(Self::Toml),
            "json" => Some(Self::Json),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormSource {
    pub format: FormFormat,
    pub text: String,
}

impl FormSource {
    /// Parses and checks the definition.
    pub fn parse(&self) -> Result<FormDefinition, Vec<DefinitionProblem>> {
        match self.format {
            FormFormat::Toml => FormDefinition::from_toml(&self.text),
            FormFormat::Json => FormDefinition::from_json(&self.text),
        }
    }

    /// SHA-256 of format and text, hex: equal for equal forms, and different once a word changes.
    pub fn hash(&self) -> String {
        let mut hasher = Sha256::new();
        hasher.update(self.format.as_str().as_bytes());
        hasher.update(b"\n");
        hasher.update(self.text.as_bytes());
        hex::encode(hasher.finalize())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(format: FormFormat, text: &str) -> FormSource {
        FormSource {
            format,
            text: text.to_owned(),
        }
    }

    #[test]
    fn the_hash_names_format_and_text() {
        let a = source(FormFormat::Toml, "version = 1");
        assert_eq!(a.hash(), source(FormFormat::Toml, "version = 1").hash());
        assert_ne!(a.hash(), source(FormFormat::Toml, "version = 2").hash());
        assert_ne!(a.hash(), source(FormFormat::Json, "version = 1").hash());
        assert_eq!(a.hash().len(), 64);
    }
}
