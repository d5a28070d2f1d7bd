//! The form engine: definitions read from files, and the pure function that decides everything about
//! a citizen's answers. No I/O in here; routes read and save answers, this module judges them.

pub mod definition;
pub mod derive;
pub mod expr;
pub mod input;
pub mod source;

pub use definition::{DefinitionProblem, Field, FormDefinition, Kind, Prefill, Step, Text};
pub use derive::{Answers, FieldError, FieldState, FormState, StepState, derive, read_step};
pub use expr::Value;
pub use source::{FormFormat, FormSource};

#[cfg(test)]
mod tests;
