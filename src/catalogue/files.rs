use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use validator::{Validate, ValidationError, ValidationErrors, ValidationErrorsKind};

use super::sending::Sending;
use crate::domain::destination::Destination;
use crate::domain::form::{FormDefinition, FormFormat, FormSource};
use crate::domain::payment::PaymentSettings;
use crate::domain::{Leistungsschluessel, Money, Topic, TrustLevel};

/// Path segments the portal uses itself, so no tenant may take them as its slug.
const RESERVED_SLUGS: &[&str] = &[
    "leistungen",
    "zustaendigkeit",
    "static",
    "mandant",
    "healthz",
    "readyz",
    "anmelden",
    "abmelden",
    "registrieren",
    "konto",
    "antraege",
    "antrag",
    "vorgang",
    "postfach",
    "api",
    "fit-connect",
    "demo-bezahldienst",
    "impressum",
    "datenschutz",
    "barrierefreiheit",
    "favicon.ico",
];

/// Every problem found in the catalogue, each naming file, key and what is wrong.
#[derive(Debug)]
pub struct CatalogueError {
    pub problems: Vec<Problem>,
}

#[derive(Debug)]
pub struct Problem {
    pub file: PathBuf,
    pub key: String,
    pub message: String,
}

impl fmt::Display for CatalogueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "the catalogue has {} problem(s):", self.problems.len())?;
        for p in &self.problems {
            writeln!(f, "  {}: {}: {}", p.file.display(), p.key, p.message)?;
        }
        Ok(())
    }
}

impl std::error::Error for CatalogueError {}

/// All tenants with their services, as read from a catalogue directory.
#[derive(Debug)]
pub struct Catalogue {
    /// The tenants read and checked from their files.
    pub tenants: Vec<TenantDefinition>,
    /// The tenants whose files are as they were at the last import, so they were not read again
    /// (see [`Catalogue::load_changed`]).
    pub unchanged: Vec<ImportedTenant>,
}

/// An active tenant as the database holds it: what an import needs to know of a tenant it does not
/// read again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedTenant {
    pub slug: String,
    pub content_hash: String,
    pub hosts: Vec<String>,
}

#[derive(Debug)]
pub struct TenantDefinition {
    pub slug: String,
    pub name: String,
    pub hosts: Vec<String>,
    pub area_keys: Vec<String>,
    pub brand_color: String,
    pub logo_svg: Option<String>,
    pub profile: TenantProfile,
    pub places: Vec<Place>,
    /// Where cases go, by name.
    pub destinations: BTreeMap<String, Destination>,
    /// The ePayment provider fees are paid through; without one, fees are paid after the decision.
    pub payment: Option<PaymentSettings>,
    pub services: Vec<ServiceDefinition>,
    /// The tenant directory's [`content_hash`]: an unchanged tenant is not read or imported again.
    pub content_hash: String,
}

#[derive(Debug)]
pub struct ServiceDefinition {
    pub slug: String,
    pub leistungsschluessel: Leistungsschluessel,
    pub topic: Topic,
    pub min_trust_level: TrustLevel,
    pub fee: Option<Money>,
    pub keywords: Vec<String>,
    pub details: ServiceDetails,
    /// The name of the tenant's destination its cases are delivered to; required with a form.
    pub destination: Option<String>,
    /// The application form, from `forms/<slug>.toml` or `.json`; without one the service cannot be
    /// applied for online yet.
    pub form: Option<ServiceForm>,
}

/// A service's application form as written (what the database keeps) and as checked.
#[derive(Debug)]
pub struct ServiceForm {
    pub source: FormSource,
    pub definition: FormDefinition,
}

/// What the tenant's own pages show: contact, imprint, privacy and accessibility facts.
#[derive(Debug, Clone, Serialize, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct TenantProfile {
    #[validate(nested)]
    pub contact: Contact,
    #[validate(nested)]
    pub imprint: Imprint,
    #[validate(nested)]
    pub privacy: Privacy,
    #[validate(nested)]
    pub accessibility: Accessibility,
}

#[derive(Debug, Clone, Serialize, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    #[validate(length(min = 1, max = 200))]
    pub office: String,
    #[validate(length(min = 1, max = 6))]
    pub address: Vec<String>,
    #[validate(length(min = 5, max = 40))]
    pub phone: String,
    #[validate(email)]
    pub email: String,
    #[validate(length(max = 200))]
    pub opening_hours: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct Imprint {
    #[validate(length(min = 1, max = 200))]
    pub authority: String,
    #[validate(length(min = 1, max = 200))]
    pub represented_by: String,
    #[validate(length(max = 200))]
    pub supervisory_authority: Option<String>,
    #[validate(length(max = 40))]
    pub vat_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct Privacy {
    #[validate(email)]
    pub data_protection_officer_email: String,
    #[validate(length(min = 1, max = 200))]
    pub supervisory_authority: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct Accessibility {
    /// `vollstaendig` or `teilweise` (BITV 2.0 wording: fully or partly compliant).
    #[validate(custom(function = validate_compliance))]
    pub compliance: String,
    #[serde(default)]
    pub known_barriers: Vec<String>,
    #[validate(email)]
    pub feedback_email: String,
    #[validate(length(min = 1, max = 200))]
    pub enforcement_body: String,
    #[validate(url)]
    pub enforcement_url: String,
    /// When the statement was last reviewed, `YYYY-MM-DD`.
    #[validate(custom(function = validate_date))]
    pub reviewed_on: String,
}

#[derive(Debug, Clone, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct Place {
    /// Amtlicher Regionalschlüssel of the municipality, 12 digits.
    #[validate(custom(function = validate_ars))]
    pub ars: String,
    #[validate(length(min = 1, max = 120))]
    pub name: String,
    #[validate(length(min = 1), custom(function = validate_postcodes))]
    pub postcodes: Vec<String>,
}

/// Per-language texts of a service.
#[derive(Debug, Clone, Serialize, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct ServiceTexts {
    #[validate(length(min = 3, max = 120))]
    pub name: String,
    #[validate(length(min = 10, max = 300))]
    pub summary: String,
    #[validate(length(min = 10, max = 5000))]
    pub description: String,
    #[validate(length(min = 1, max = 120))]
    pub processing_time: String,
    #[validate(length(max = 200))]
    pub fee_note: Option<String>,
    #[serde(default)]
    pub evidence: Vec<String>,
}

/// What the service page shows beyond the listing: both languages' texts.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ServiceDetails {
    pub de: ServiceTexts,
    pub en: Option<ServiceTexts>,
}

#[derive(Debug, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
struct TenantFile {
    #[validate(custom(function = validate_slug))]
    slug: String,
    #[validate(length(min = 2, max = 120))]
    name: String,
    #[serde(default)]
    #[validate(custom(function = validate_hosts))]
    hosts: Vec<String>,
    /// Regional keys (ARS prefixes) of the area this tenant is responsible for.
    #[validate(length(min = 1), custom(function = validate_area_keys))]
    area_keys: Vec<String>,
    #[validate(custom(function = validate_brand_color))]
    brand_color: String,
    logo: Option<String>,
    #[serde(flatten)]
    #[validate(nested)]
    profile: TenantProfile,
    #[serde(default)]
    #[validate(nested)]
    places: Vec<Place>,
    #[serde(default)]
    destinations: BTreeMap<String, Destination>,
    payment: Option<PaymentSettings>,
}

#[derive(Debug, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
struct ServiceFile {
    #[validate(custom(function = validate_slug))]
    slug: String,
    leistungsschluessel: String,
    topic: String,
    min_trust_level: String,
    fee: Option<String>,
    #[serde(default)]
    keywords: Vec<String>,
    destination: Option<String>,
    #[validate(nested)]
    de: ServiceTexts,
    #[validate(nested)]
    en: Option<ServiceTexts>,
}

impl Catalogue {
    /// What each tenant sends and where, for the checks in [`super::sending`].
    pub fn sending(&self) -> Vec<Sending<'_>> {
        self.tenants
            .iter()
            .map(|t| Sending {
                tenant: &t.slug,
                destinations: &t.destinations,
                payment: t.payment.as_ref(),
            })
            .collect()
    }

    /// Reads every tenant directory under `dir`. Collects all problems instead of stopping at the first.
    pub fn load(dir: &Path) -> Result<Self, CatalogueError> {
        Self::load_changed(dir, &[])
    }

    /// Reads the tenant directories under `dir` whose files changed since they were imported: a
    /// directory whose [`content_hash`] is that of an imported tenant is not parsed again, which
    /// makes an import after one change at full size a matter of reading bytes. Slugs and host names
    /// are checked to be unique across changed and unchanged tenants alike.
    pub fn load_changed(dir: &Path, imported: &[ImportedTenant]) -> Result<Self, CatalogueError> {
        let mut problems = Vec::new();
        let mut tenants = Vec::new();
        let mut unchanged = Vec::new();
        let mut imported_by_hash: HashMap<&str, &ImportedTenant> =
            imported.iter().map(|t| (t.content_hash.as_str(), t)).collect();
        match sorted_entries(dir) {
            Ok(entries) => {
                let tenant_dirs: Vec<PathBuf> = entries.into_iter().filter(|p| p.is_dir()).collect();
                for (tenant_dir, hash) in tenant_dirs.iter().zip(content_hashes(&tenant_dirs)) {
                    let hash = match hash {
                        Ok(hash) => hash,
                        Err(e) => {
                            problems.push(problem(tenant_dir, "-", format!("cannot read the directory: {e}")));
                            continue;
                        }
                    };
                    // Taken out once found: a copy of the same directory is read and then fails
                    // the uniqueness checks below.
                    if let Some(known) = imported_by_hash.remove(hash.as_str()) {
                        unchanged.push(known.clone());
                    } else if let Some(tenant) = load_tenant(tenant_dir, hash, &mut problems) {
                        tenants.push(tenant);
                    }
                }
            }
            Err(e) => problems.push(problem(dir, "-", format!("cannot read the directory: {e}"))),
        }
        if tenants.is_empty() && unchanged.is_empty() && problems.is_empty() {
            problems.push(problem(dir, "-", "no tenant directory with a tenant.toml found".into()));
        }
        check_unique_across_tenants(dir, &tenants, &unchanged, &mut problems);
        if problems.is_empty() {
            Ok(Self { tenants, unchanged })
        } else {
            Err(CatalogueError { problems })
        }
    }
}

/// SHA-256 over every file in a tenant's directory, by relative path, length and bytes: whatever
/// changes in the directory changes it. The directories are read on all cores.
fn content_hashes(tenant_dirs: &[PathBuf]) -> Vec<std::io::Result<String>> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let per_thread = tenant_dirs.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let running: Vec<_> = tenant_dirs
            .chunks(per_thread)
            .map(|chunk| {
                let thread = scope.spawn(move || chunk.iter().map(|dir| content_hash(dir)).collect::<Vec<_>>());
                (chunk.len(), thread)
            })
            .collect();
        running
            .into_iter()
            .flat_map(|(dirs, thread)| {
                thread.join().unwrap_or_else(|_| {
                    (0..dirs)
                        .map(|_| Err(std::io::Error::other("reading the directory failed")))
                        .collect()
                })
            })
            .collect()
    })
}

fn content_hash(tenant_dir: &Path) -> std::io::Result<String> {
    fn add(hasher: &mut Sha256, root: &Path, dir: &Path) -> std::io::Result<()> {
        for path in sorted_entries(dir)? {
            if path.is_dir() {
                add(hasher, root, &path)?;
            } else {
                let bytes = std::fs::read(&path)?;
                let name = path.strip_prefix(root).unwrap_or(&path);
                hasher.update(name.as_os_str().as_encoded_bytes());
                hasher.update([0]);
                hasher.update((bytes.len() as u64).to_le_bytes());
                hasher.update(&bytes);
            }
        }
        Ok(())
    }
    let mut hasher = Sha256::new();
    add(&mut hasher, tenant_dir, tenant_dir)?;
    Ok(hex::encode(hasher.finalize()))
}

fn load_tenant(dir: &Path, content_hash: String, problems: &mut Vec<Problem>) -> Option<TenantDefinition> {
    let path = dir.join("tenant.toml");
    let file: TenantFile = read_toml(&path, problems)?;
    let before = problems.len();
    collect_validation(&path, file.validate(), problems);

    let logo_svg = file.logo.as_ref().and_then(|name| {
        // Inside the tenant's directory, so that a changed logo changes the tenant's content hash.
        let inside = Path::new(name)
            .components()
            .all(|part| matches!(part, std::path::Component::Normal(_)));
        if !inside {
            problems.push(problem(
                &path,
                "logo",
                format!("'{name}' must name a file in the tenant's directory"),
            ));
            return None;
        }
        let logo_path = dir.join(name);
        match std::fs::read_to_string(&logo_path) {
            Ok(svg) if svg.contains("<svg") => Some(svg),
            Ok(_) => {
                problems.push(problem(
                    &path,
                    "logo",
                    format!("{} is not an SVG file", logo_path.display()),
                ));
                None
            }
            Err(e) => {
                problems.push(problem(
                    &path,
                    "logo",
                    format!("cannot read {}: {e}", logo_path.display()),
                ));
                None
            }
        }
    });

    let services_dir = dir.join("services");
    let mut services = Vec::new();
    match sorted_entries(&services_dir) {
        Ok(entries) => {
            for service_path in entries
                .into_iter()
                .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            {
                if let Some(service) = load_service(&service_path, problems) {
                    services.push(service);
                }
            }
        }
        Err(e) => problems.push(problem(&services_dir, "-", format!("cannot read the directory: {e}"))),
    }
    load_forms(&dir.join("forms"), &mut services, problems);
    check_destinations(
        &path,
        &services_dir,
        &file.slug,
        &file.destinations,
        &services,
        problems,
    );
    for service in services
        .iter()
        .filter(|s| s.form.as_ref().is_some_and(|f| f.definition.pay_online))
    {
        if file.payment.is_none() {
            problems.push(problem(
                &dir.join("forms").join(format!("{}.toml", service.slug)),
                "pay_online",
                "the tenant has no [payment] provider to pay through".into(),
            ));
        }
    }
    if let Some(payment) = &file.payment {
        for (key, message) in payment.problems(&file.slug) {
            problems.push(problem(&path, &format!("payment.{key}"), message));
        }
    }
    let mut seen = HashSet::new();
    for s in &services {
        if !seen.insert(s.slug.as_str()) {
            problems.push(problem(
                &services_dir,
                "slug",
                format!("'{}' is used by two services", s.slug),
            ));
        }
    }

    if problems.len() > before {
        return None;
    }
    Some(TenantDefinition {
        slug: file.slug,
        name: file.name,
        hosts: file.hosts,
        area_keys: file.area_keys,
        brand_color: file.brand_color.to_ascii_lowercase(),
        logo_svg,
        profile: file.profile,
        places: file.places,
        destinations: file.destinations,
        payment: file.payment,
        services,
        content_hash,
    })
}

fn load_service(path: &Path, problems: &mut Vec<Problem>) -> Option<ServiceDefinition> {
    let file: ServiceFile = read_toml(path, problems)?;
    let before = problems.len();
    collect_validation(path, file.validate(), problems);
    let leistungsschluessel = parsed(
        path,
        "leistungsschluessel",
        Leistungsschluessel::parse(&file.leistungsschluessel),
        problems,
    );
    let topic = parsed(path, "topic", Topic::parse(&file.topic), problems);
    let min_trust_level = parsed(
        path,
        "min_trust_level",
        TrustLevel::parse(&file.min_trust_level),
        problems,
    );
    let fee = match &file.fee {
        Some(raw) => Some(parsed(path, "fee", Money::parse_euros(raw), problems)?),
        None => None,
    };
    if problems.len() > before {
        return None;
    }
    Some(ServiceDefinition {
        slug: file.slug,
        leistungsschluessel: leistungsschluessel?,
        topic: topic?,
        min_trust_level: min_trust_level?,
        fee,
        keywords: file.keywords,
        destination: file.destination,
        details: ServiceDetails {
            de: file.de,
            en: file.en,
        },
        form: None,
    })
}

/// Reads `forms/<service slug>.toml` or `.json` for the tenant's services. A tenant without a forms
/// directory has no online forms.
fn load_forms(dir: &Path, services: &mut [ServiceDefinition], problems: &mut Vec<Problem>) {
    let Ok(entries) = sorted_entries(dir) else {
        return;
    };
    for path in entries {
        let (Some(stem), Some(extension)) = (
            path.file_stem().and_then(|s| s.to_str()),
            path.extension().and_then(|e| e.to_str()),
        ) else {
            continue;
        };
        let Some(format) = FormFormat::parse(extension) else {
            continue;
        };
        let Some(service) = services.iter_mut().find(|s| s.slug == stem) else {
            problems.push(problem(
                &path,
                "-",
                format!("there is no service '{stem}' for this form"),
            ));
            continue;
        };
        if service.form.is_some() {
            problems.push(problem(
                &path,
                "-",
                format!("service '{stem}' has a TOML and a JSON form"),
            ));
            continue;
        }
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) => {
                problems.push(problem(&path, "-", format!("cannot read the file: {e}")));
                continue;
            }
        };
        let source = FormSource { format, text };
        match source.parse() {
            Ok(definition) => service.form = Some(ServiceForm { source, definition }),
            Err(found) => problems.extend(found.into_iter().map(|p| problem(&path, &p.location, p.message))),
        }
    }
}

/// Each destination is well-formed, and each service with a form names one of them.
fn check_destinations(
    tenant_file: &Path,
    services_dir: &Path,
    tenant_slug: &str,
    destinations: &BTreeMap<String, Destination>,
    services: &[ServiceDefinition],
    problems: &mut Vec<Problem>,
) {
    for (name, destination) in destinations {
        for (key, message) in destination.problems(tenant_slug) {
            problems.push(problem(tenant_file, &format!("destinations.{name}.{key}"), message));
        }
    }
    for service in services {
        let file = services_dir.join(format!("{}.toml", service.slug));
        match &service.destination {
            Some(name) if !destinations.contains_key(name) => problems.push(problem(
                &file,
                "destination",
                format!("there is no destination '{name}' in the tenant's [destinations]"),
            )),
            None if service.form.is_some() => problems.push(problem(
                &file,
                "destination",
                "a service with a form must name the destination its applications are delivered to".into(),
            )),
            _ => {}
        }
    }
}

/// The parsed value, or `None` with the problem recorded.
fn parsed<T>(path: &Path, key: &str, result: Result<T, String>, problems: &mut Vec<Problem>) -> Option<T> {
    result
        .map_err(|message| problems.push(problem(path, key, message)))
        .ok()
}

/// No two tenants share a slug or a host name, whether read now or unchanged since the last import.
fn check_unique_across_tenants(
    dir: &Path,
    tenants: &[TenantDefinition],
    unchanged: &[ImportedTenant],
    problems: &mut Vec<Problem>,
) {
    let mut slugs = HashMap::new();
    let mut hosts = HashMap::new();
    for t in unchanged {
        slugs.insert(t.slug.as_str(), t.slug.as_str());
        for host in &t.hosts {
            hosts.insert(host.as_str(), t.slug.as_str());
        }
    }
    for t in tenants {
        if let Some(other) = slugs.insert(t.slug.as_str(), t.slug.as_str()) {
            problems.push(problem(dir, "slug", format!("'{other}' is the slug of two tenants")));
        }
        for host in &t.hosts {
            if let Some(other) = hosts.insert(host.as_str(), t.slug.as_str()) {
                problems.push(problem(
                    &dir.join(&t.slug).join("tenant.toml"),
                    "hosts",
                    format!("host '{host}' is already used by tenant '{other}'"),
                ));
            }
        }
    }
}

fn read_toml<T: for<'de> Deserialize<'de>>(path: &Path, problems: &mut Vec<Problem>) -> Option<T> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) => {
            problems.push(problem(path, "-", format!("cannot read the file: {e}")));
            return None;
        }
    };
    match toml::from_str(&text) {
        Ok(value) => Some(value),
        Err(e) => {
            let message = e.message().to_owned();
            let key = e
                .span()
                .map(|span| format!("line {}", text[..span.start].lines().count().max(1)))
                .unwrap_or_else(|| "-".into());
            problems.push(problem(path, &key, message));
            None
        }
    }
}

fn sorted_entries(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut entries = std::fs::read_dir(dir)?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<std::io::Result<Vec<_>>>()?;
    entries.sort();
    Ok(entries)
}

fn problem(file: &Path, key: &str, message: String) -> Problem {
    Problem {
        file: file.to_path_buf(),
        key: key.to_owned(),
        message,
    }
}

fn collect_validation(path: &Path, result: Result<(), ValidationErrors>, problems: &mut Vec<Problem>) {
    fn walk(prefix: &str, errors: &ValidationErrors, out: &mut Vec<(String, String)>) {
        for (field, kind) in errors.errors() {
            let key = if prefix.is_empty() {
                field.to_string()
            } else {
                format!("{prefix}.{field}")
            };
            match kind {
                ValidationErrorsKind::Field(errs) => {
                    for e in errs {
                        let message = e.message.as_ref().map(|m| m.to_string()).unwrap_or_else(|| describe(e));
                        out.push((key.clone(), message));
                    }
                }
                ValidationErrorsKind::Struct(inner) => walk(&key, inner, out),
                ValidationErrorsKind::List(items) => {
                    for (index, inner) in items {
                        walk(&format!("{key}[{index}]"), inner, out);
                    }
                }
            }
        }
    }
    if let Err(errors) = result {
        let mut found = Vec::new();
        walk("", &errors, &mut found);
        found.sort();
        for (key, message) in found {
            problems.push(problem(path, &key, message));
        }
    }
}

fn describe(error: &ValidationError) -> String {
    let param = |name: &str| error.params.get(name).map(|v| v.to_string());
    match error.code.as_ref() {
        "length" => match (param("min"), param("max")) {
            (Some(min), Some(max)) => format!("must have between {min} and {max} characters or entries"),
            (Some(min), None) => format!("must have at least {min} characters or entries"),
            (None, Some(max)) => format!("must have at most {max} characters or entries"),
            _ => "has the wrong length".into(),
        },
        "email" => "is not an e-mail address".into(),
        "url" => "is not a URL".into(),
        code => format!("is invalid ({code})"),
    }
}

fn invalid(message: String) -> ValidationError {
    ValidationError::new("invalid").with_message(message.into())
}

fn validate_slug(slug: &str) -> Result<(), ValidationError> {
    let well_formed = (2..=60).contains(&slug.len())
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !slug.starts_with('-')
        && !slug.ends_with('-');
    if !well_formed {
        return Err(invalid(format!(
            "'{slug}' must be 2 to 60 characters of a-z, 0-9 and '-'"
        )));
    }
    if RESERVED_SLUGS.contains(&slug) {
        return Err(invalid(format!("'{slug}' is a path the portal uses itself")));
    }
    Ok(())
}

fn validate_hosts(hosts: &[String]) -> Result<(), ValidationError> {
    for host in hosts {
        let ok = !host.is_empty()
            && host.len() <= 253
            && host
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.');
        if !ok {
            return Err(invalid(format!("'{host}' is not a lower-case host name without port")));
        }
    }
    Ok(())
}

fn all_digits(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_digit())
}

fn validate_area_keys(keys: &[String]) -> Result<(), ValidationError> {
    for key in keys {
        if !(2..=12).contains(&key.len()) || !all_digits(key) {
            return Err(invalid(format!("'{key}' is not a regional key (2 to 12 digits)")));
        }
    }
    Ok(())
}

fn validate_ars(ars: &str) -> Result<(), ValidationError> {
    if ars.len() == 12 && all_digits(ars) {
        Ok(())
    } else {
        Err(invalid(format!(
            "'{ars}' is not a 12-digit Amtlicher Regionalschlüssel"
        )))
    }
}

fn validate_postcodes(postcodes: &[String]) -> Result<(), ValidationError> {
    match postcodes.iter().find(|p| p.len() != 5 || !all_digits(p)) {
        Some(bad) => Err(invalid(format!("'{bad}' is not a five-digit postcode"))),
        None => Ok(()),
    }
}

fn validate_compliance(value: &str) -> Result<(), ValidationError> {
    match value {
        "vollstaendig" | "teilweise" => Ok(()),
        other => Err(invalid(format!("'{other}' must be 'vollstaendig' or 'teilweise'"))),
    }
}

fn validate_date(value: &str) -> Result<(), ValidationError> {
    chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .map(|_| ())
        .map_err(|_| invalid(format!("'{value}' is not a date like 2026-11-23")))
}

/// The brand colour is the background of the header with white text, so it must reach the
/// WCAG AA contrast of 4.5:1 against white.
fn validate_brand_color(value: &str) -> Result<(), ValidationError> {
    let hex = value
        .strip_prefix('#')
        .filter(|h| h.len() == 6 && h.bytes().all(|b| b.is_ascii_hexdigit()));
    let Some(hex) = hex else {
        return Err(invalid(format!("'{value}' is not a colour like #004b87")));
    };
    let channel = |i: usize| {
        let v = f64::from(u8::from_str_radix(&hex[i..i + 2], 16).unwrap_or(0)) / 255.0;
        if v <= 0.03928 {
            v / 12.92
        } else {
            ((v + 0.055) / 1.055).powf(2.4)
        }
    };
    let luminance = 0.2126 * channel(0) + 0.7152 * channel(2) + 0.0722 * channel(4);
    let contrast = 1.05 / (luminance + 0.05);
    if contrast >= 4.5 {
        Ok(())
    } else {
        Err(invalid(format!(
            "'{value}' has a contrast of {contrast:.2}:1 against white text, at least 4.5:1 is needed"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brand_colour_needs_contrast_with_white() {
        assert!(validate_brand_color("#004b87").is_ok());
        assert!(validate_brand_color("#ffcc00").is_err());
        assert!(validate_brand_color("blue").is_err());
    }

    #[test]
    fn slugs_must_not_shadow_portal_paths() {
        assert!(validate_slug("musterstadt").is_ok());
        assert!(validate_slug("leistungen").is_err());
        assert!(validate_slug("Muster").is_err());
        assert!(validate_slug("-x").is_err());
    }
}
