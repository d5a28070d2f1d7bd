//! The catalogue: tenant and service files, read and validated before anything is imported into
//! the database (`files`, `import`, `sending`), and what a node serves of it once imported (`cache`,
//! `follow`).
//!
//! Layout of a catalogue directory (the demo one is `examples/`):
//! ```text
//! <dir>/<tenant>/tenant.toml
//! <dir>/<tenant>/logo.svg            (optional, named by `logo` in tenant.toml, inside the directory)
//! <dir>/<tenant>/services/<slug>.toml
//! <dir>/<tenant>/forms/<slug>.toml      (or .json: the service's application form, see docs/forms.md)
//! ```

mod cache;
mod files;
mod follow;
mod import;
pub mod sending;

pub use cache::{CacheUsage, CatalogueCache};
pub use follow::{Served, follow_imports};
pub use import::import_files;
pub use sending::Sending;

pub use files::{
    Accessibility, Catalogue, CatalogueError, Contact, ImportedTenant, Imprint, Place, Privacy, ServiceDefinition,
    ServiceDetails, ServiceForm, ServiceTexts, TenantDefinition, TenantProfile,
};
