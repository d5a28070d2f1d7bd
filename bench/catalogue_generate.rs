//! Writes a catalogue of any size in the file format of docs/catalogue.md, for measuring "Einer für
//! Alle" at the size of Germany's ~11,000 municipalities:
//!
//!     cargo run --release --example bench_catalogue_generate -- <dir> <tenants> [<services per tenant>]
//!
//! Each tenant is a municipality with its own name, regional key (ARS), places and postcodes; its
//! services are drawn from a list of real municipal services (names, topics and colloquial search
//! words as citizens use them), so searches match some services, many or all as they would for real.
//! One service per tenant has an online form (the contact form of the demo catalogue). The same
//! arguments always write the same files.

use std::fmt::Write as _;
use std::path::Path;

/// Real services of a municipality: name, summary, topic, search words.
const SERVICES: &[(&str, &str, &str, &[&str])] = &[
    (
        "Personalausweis beantragen",
        "Beantragen Sie einen neuen Personalausweis im Bürgerbüro Ihrer Gemeinde.",
        "querschnitt",
        &["Ausweis", "Perso", "Identität"],
    ),
    (
        "Reisepass beantragen",
        "Beantragen Sie einen Reisepass für Reisen außerhalb der Europäischen Union.",
        "mobilitaet-reisen",
        &["Pass", "Reise", "Ausland"],
    ),
    (
        "Wohnsitz anmelden",
        "Melden Sie Ihren neuen Wohnsitz innerhalb von zwei Wochen nach dem Einzug an.",
        "querschnitt",
        &["Umzug", "Ummeldung", "Meldeamt", "Einzug"],
    ),
    (
        "Wohnsitz abmelden",
        "Melden Sie Ihren Wohnsitz ab, wenn Sie ins Ausland ziehen.",
        "querschnitt",
        &["Wegzug", "Ausland", "Meldeamt"],
    ),
    (
        "Meldebescheinigung beantragen",
        "Erhalten Sie eine Bescheinigung über Ihre Anmeldung in der Gemeinde.",
        "querschnitt",
        &["Meldenachweis", "Wohnsitz", "Bescheinigung"],
    ),
    (
        "Führungszeugnis beantragen",
        "Beantragen Sie ein Führungszeugnis für den Arbeitgeber oder eine Behörde.",
        "recht-ordnung",
        &["polizeiliches Führungszeugnis", "Arbeitgeber"],
    ),
    (
        "Gewerbe anmelden",
        "Melden Sie ein Gewerbe an, bevor Sie Ihre selbständige Tätigkeit beginnen.",
        "unternehmen",
        &["Gewerbeanmeldung", "Selbständigkeit", "Gründung"],
    ),
    (
        "Gewerbe ummelden",
        "Melden Sie Änderungen Ihres Gewerbes, etwa einen neuen Standort, der Gemeinde.",
        "unternehmen",
        &["Gewerbeummeldung", "Standort"],
    ),
    (
        "Gewerbe abmelden",
        "Melden Sie Ihr Gewerbe ab, wenn Sie die Tätigkeit aufgeben.",
        "unternehmen",
        &["Gewerbeabmeldung", "Aufgabe"],
    ),
    (
        "Hund anmelden",
        "Melden Sie Ihren Hund zur Hundesteuer an.",
        "steuern-zoll",
        &["Hundesteuer", "Hundemarke", "Haustier"],
    ),
    (
        "Hund abmelden",
        "Melden Sie Ihren Hund von der Hundesteuer ab.",
        "steuern-zoll",
        &["Hundesteuer", "Haustier"],
    ),
    (
        "Baugenehmigung beantragen",
        "Beantragen Sie die Genehmigung für einen Neubau, Umbau oder Anbau.",
        "bauen-wohnen",
        &["Bauantrag", "Neubau", "Anbau", "Bauamt"],
    ),
    (
        "Bauvoranfrage stellen",
        "Klären Sie vor dem Bauantrag, ob Ihr Vorhaben zulässig ist.",
        "bauen-wohnen",
        &["Bauvorbescheid", "Bauamt"],
    ),
    (
        "Kita-Platz beantragen",
        "Melden Sie Ihr Kind für einen Platz in einer Kindertagesstätte an.",
        "familie-kind",
        &["Kindergarten", "Krippe", "Betreuung", "Kita"],
    ),
    (
        "Wohngeld beantragen",
        "Beantragen Sie einen Zuschuss zur Miete oder zu den Kosten Ihres Eigenheims.",
        "bauen-wohnen",
        &["Mietzuschuss", "Lastenzuschuss", "Miete"],
    ),
    (
        "Anwohnerparkausweis beantragen",
        "Beantragen Sie einen Parkausweis für Ihr Wohngebiet.",
        "mobilitaet-reisen",
        &["Bewohnerparken", "Parken", "Parkausweis"],
    ),
    (
        "Sondernutzung einer Straße beantragen",
        "Beantragen Sie die Erlaubnis, eine öffentliche Straße zu nutzen, etwa für ein Gerüst.",
        "bauen-wohnen",
        &["Gerüst", "Container", "Straße"],
    ),
    (
        "Fundsache melden",
        "Melden Sie einen gefundenen Gegenstand dem Fundbüro.",
        "recht-ordnung",
        &["Fundbüro", "verloren", "gefunden"],
    ),
    (
        "Sperrmüll anmelden",
        "Melden Sie Sperrmüll zur Abholung an.",
        "umwelt",
        &["Abfall", "Müll", "Entsorgung", "Möbel"],
    ),
    (
        "Geburtsurkunde beantragen",
        "Beantragen Sie eine Geburtsurkunde beim Standesamt.",
        "familie-kind",
        &["Standesamt", "Urkunde", "Geburt"],
    ),
    (
        "Eheschließung anmelden",
        "Melden Sie Ihre Eheschließung beim Standesamt an.",
        "familie-kind",
        &["Heirat", "Hochzeit", "Standesamt", "Trauung"],
    ),
    (
        "Sterbeurkunde beantragen",
        "Beantragen Sie eine Sterbeurkunde beim Standesamt.",
        "familie-kind",
        &["Todesfall", "Standesamt", "Urkunde"],
    ),
    (
        "Fahrzeug zulassen",
        "Lassen Sie ein neues oder gebrauchtes Fahrzeug zu.",
        "mobilitaet-reisen",
        &["Kfz-Zulassung", "Auto", "Kennzeichen"],
    ),
    (
        "Fahrzeug außer Betrieb setzen",
        "Melden Sie Ihr Fahrzeug ab.",
        "mobilitaet-reisen",
        &["Kfz-Abmeldung", "Auto", "Kennzeichen"],
    ),
    (
        "Fischereischein beantragen",
        "Beantragen Sie den Fischereischein zum Angeln.",
        "engagement-hobby",
        &["Angeln", "Angelschein"],
    ),
    (
        "Gaststättenerlaubnis beantragen",
        "Beantragen Sie die Erlaubnis, eine Gaststätte zu betreiben.",
        "unternehmen",
        &["Gaststätte", "Ausschank", "Restaurant"],
    ),
    (
        "Veranstaltung anmelden",
        "Melden Sie eine öffentliche Veranstaltung an.",
        "engagement-hobby",
        &["Fest", "Straßenfest", "Konzert"],
    ),
    (
        "Baum fällen lassen",
        "Beantragen Sie die Erlaubnis, einen geschützten Baum zu fällen.",
        "umwelt",
        &["Baumfällung", "Baumschutzsatzung", "Baum"],
    ),
    (
        "Grundsteuer zahlen",
        "Informieren Sie sich über die Grundsteuer und zahlen Sie sie.",
        "steuern-zoll",
        &["Grundstück", "Steuer", "Grundbesitzabgaben"],
    ),
    (
        "Zweitwohnungsteuer anmelden",
        "Melden Sie Ihre Zweitwohnung zur Zweitwohnungsteuer an.",
        "steuern-zoll",
        &["Nebenwohnung", "Steuer"],
    ),
    (
        "Schwerbehindertenausweis beantragen",
        "Beantragen Sie die Feststellung einer Behinderung und einen Ausweis.",
        "gesundheit",
        &["Behinderung", "GdB", "Ausweis"],
    ),
    (
        "Einbürgerung beantragen",
        "Beantragen Sie die deutsche Staatsangehörigkeit.",
        "ein-auswanderung",
        &["Staatsangehörigkeit", "Einbürgerungstest"],
    ),
    (
        "Aufenthaltstitel verlängern",
        "Beantragen Sie die Verlängerung Ihres Aufenthaltstitels.",
        "ein-auswanderung",
        &["Aufenthaltserlaubnis", "Ausländerbehörde", "Visum"],
    ),
    (
        "Mangel im Straßenraum melden",
        "Melden Sie Schlaglöcher, defekte Laternen oder wilden Müll.",
        "recht-ordnung",
        &["Schlagloch", "Laterne", "Mängelmelder"],
    ),
    (
        "Briefwahl beantragen",
        "Beantragen Sie einen Wahlschein und die Briefwahlunterlagen.",
        "querschnitt",
        &["Wahlschein", "Wahl", "Briefwahl"],
    ),
    (
        "Namensänderung beantragen",
        "Beantragen Sie die Änderung Ihres Vor- oder Familiennamens.",
        "recht-ordnung",
        &["Name", "Familienname"],
    ),
    (
        "Kirchenaustritt erklären",
        "Erklären Sie Ihren Austritt aus einer Kirche beim Standesamt.",
        "querschnitt",
        &["Austritt", "Kirchensteuer"],
    ),
    (
        "Vaterschaft anerkennen",
        "Erkennen Sie die Vaterschaft für ein Kind an.",
        "familie-kind",
        &["Vater", "Jugendamt", "Urkunde"],
    ),
    (
        "Unterschrift beglaubigen lassen",
        "Lassen Sie eine Unterschrift oder eine Kopie amtlich beglaubigen.",
        "querschnitt",
        &["Beglaubigung", "Kopie"],
    ),
    (
        "Schülerbeförderung beantragen",
        "Beantragen Sie die Übernahme der Fahrtkosten zur Schule.",
        "bildung",
        &["Schulweg", "Busfahrkarte", "Schule"],
    ),
    (
        "Ehrenamtskarte beantragen",
        "Beantragen Sie die Ehrenamtskarte als Dank für Ihr Engagement.",
        "engagement-hobby",
        &["Ehrenamt", "Verein"],
    ),
    (
        "Lärm melden",
        "Melden Sie dauerhaften Lärm in Ihrer Nachbarschaft.",
        "umwelt",
        &["Ruhestörung", "Lärmbelästigung"],
    ),
    (
        "Abfallbehälter bestellen",
        "Bestellen, tauschen oder kündigen Sie Ihre Mülltonnen.",
        "umwelt",
        &["Mülltonne", "Biotonne", "Abfall"],
    ),
    (
        "Plakate aufstellen",
        "Beantragen Sie die Erlaubnis, Plakate im öffentlichen Raum aufzustellen.",
        "recht-ordnung",
        &["Plakatierung", "Werbung"],
    ),
    (
        "Marktstand beantragen",
        "Bewerben Sie sich um einen Stand auf dem Wochenmarkt.",
        "unternehmen",
        &["Wochenmarkt", "Markt", "Stand"],
    ),
    (
        "Hilfe zum Lebensunterhalt beantragen",
        "Beantragen Sie Sozialhilfe, wenn Sie Ihren Lebensunterhalt nicht bestreiten können.",
        "arbeit-ruhestand",
        &["Sozialhilfe", "Grundsicherung"],
    ),
    (
        "Rentenantrag stellen",
        "Stellen Sie Ihren Rentenantrag mit Hilfe des Versicherungsamts der Gemeinde.",
        "arbeit-ruhestand",
        &["Rente", "Versicherungsamt", "Ruhestand"],
    ),
    (
        "Förderung für Vereine beantragen",
        "Beantragen Sie einen Zuschuss der Gemeinde für Ihren Verein.",
        "forschung-foerderung",
        &["Vereinsförderung", "Zuschuss", "Verein"],
    ),
    (
        "Trinkwasseruntersuchung beantragen",
        "Lassen Sie das Trinkwasser Ihres Hausbrunnens untersuchen.",
        "gesundheit",
        &["Brunnen", "Wasser", "Gesundheitsamt"],
    ),
    (
        "Nachricht an die Gemeinde senden",
        "Schreiben Sie der Gemeinde eine Frage, eine Anregung oder eine Beschwerde.",
        "recht-ordnung",
        &["Kontakt", "Frage", "Anliegen", "Beschwerde"],
    ),
];

const PREFIXES: &[&str] = &[
    "Ober", "Unter", "Nieder", "Hoch", "Alt", "Neu", "Groß", "Klein", "Bad ", "Sankt ", "Hohen", "Rot", "Wald", "Berg",
    "Linden", "Eichen", "Birken", "Stein", "Mühl", "Wiesen",
];
const STEMS: &[&str] = &[
    "bach", "feld", "hausen", "dorf", "heim", "stadt", "berg", "au", "brück", "hofen", "weiler", "stetten", "furt",
    "ingen", "rode", "see", "burg", "tal", "kirchen", "loh",
];
const RIVERS: &[&str] = &[
    "an der Lahn",
    "am Main",
    "an der Ems",
    "im Allgäu",
    "am Rhein",
    "an der Saale",
    "",
    "",
    "",
    "",
];

/// xorshift64*: the same catalogue for the same arguments, without a dependency.
struct Numbers(u64);

impl Numbers {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(dir), Some(tenants)) = (args.first(), args.get(1).and_then(|n| n.parse::<usize>().ok())) else {
        eprintln!("usage: bench_catalogue_generate <dir> <tenants> [<services per tenant>]");
        std::process::exit(2);
    };
    let per_tenant = args.get(2).and_then(|n| n.parse::<usize>().ok()).unwrap_or(45);
    let dir = Path::new(dir);
    let contact_form =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/musterstadt/forms/kontakt.toml"))?;
    let mut numbers = Numbers(0x9e37_79b9_7f4a_7c15);
    for t in 0..tenants {
        write_tenant(dir, t, per_tenant, &contact_form, &mut numbers)?;
    }
    eprintln!("{tenants} tenants with {per_tenant} services each in {}", dir.display());
    Ok(())
}

fn write_tenant(
    dir: &Path,
    t: usize,
    per_tenant: usize,
    contact_form: &str,
    numbers: &mut Numbers,
) -> std::io::Result<()> {
    let place = format!(
        "{}{}",
        PREFIXES[numbers.below(PREFIXES.len())],
        STEMS[numbers.below(STEMS.len())]
    );
    let suffix = RIVERS[numbers.below(RIVERS.len())];
    let name = if suffix.is_empty() {
        place.clone()
    } else {
        format!("{place} {suffix}")
    };
    let slug = format!("gemeinde-{t:05}");
    // ARS: state (2), district (3), association (4), municipality (3), unique per tenant.
    let ars = format!("{:02}{:03}{:04}{:03}", 1 + t % 16, t / 16 % 1000, t / 16_000, t % 1000);
    let postcode = 10_000 + (t * 7 + numbers.below(7)) % 89_000;
    let tenant_dir = dir.join(&slug);
    std::fs::create_dir_all(tenant_dir.join("services"))?;
    std::fs::create_dir_all(tenant_dir.join("forms"))?;
    let mail = format!("{slug}.example");
    let mut tenant = format!(
        "slug = \"{slug}\"\nname = \"Gemeinde {name}\"\narea_keys = [\"{ars}\"]\nbrand_color = \"#004b87\"\n\n\
         [contact]\noffice = \"Bürgerbüro {place}\"\naddress = [\"Rathausplatz {n}\", \"{postcode:05} {place}\"]\n\
         phone = \"+49 {area} {n}-0\"\nemail = \"buergerbuero@{mail}\"\n\n\
         [imprint]\nauthority = \"Gemeinde {name}\"\nrepresented_by = \"Bürgermeisterin {place}\"\n\
         supervisory_authority = \"Landratsamt\"\n\n\
         [privacy]\ndata_protection_officer_email = \"datenschutz@{mail}\"\nsupervisory_authority = \"Landesbeauftragte für den Datenschutz\"\n\n\
         [accessibility]\ncompliance = \"teilweise\"\nknown_barriers = []\nfeedback_email = \"barrierefreiheit@{mail}\"\n\
         enforcement_body = \"Schlichtungsstelle nach dem Behindertengleichstellungsgesetz\"\n\
         enforcement_url = \"https://www.schlichtungsstelle-bgg.de/\"\nreviewed_on = \"2026-11-01\"\n\n\
         [[places]]\nars = \"{ars}\"\nname = \"{name}\"\npostcodes = [\"{postcode:05}\"]\n\n\
         [destinations.antragspostfach]\nkind = \"email\"\nto = \"antraege@{mail}\"\n",
        n = 1 + t % 40,
        area = 2000 + t % 8000,
    );
    // A district-like tenant in every hundred also serves two more places.
    if t.is_multiple_of(100) {
        for extra in 1..=2 {
            let _ = write!(
                tenant,
                "\n[[places]]\nars = \"{}\"\nname = \"{} {}\"\npostcodes = [\"{:05}\"]\n",
                &ars,
                place,
                ["Nord", "Süd"][extra - 1],
                (postcode + extra) % 99_999,
            );
        }
    }
    std::fs::write(tenant_dir.join("tenant.toml"), tenant)?;
    let start = numbers.below(SERVICES.len());
    for i in 0..per_tenant {
        let (service_name, summary, topic, keywords) = SERVICES[(start + i) % SERVICES.len()];
        // Past the list's length a service repeats with a number: still a distinct service.
        let round = i / SERVICES.len();
        let (slug_part, shown) = if round == 0 {
            (slugged(service_name), service_name.to_owned())
        } else {
            (
                format!("{}-{round}", slugged(service_name)),
                format!("{service_name} ({round})"),
            )
        };
        let has_form = service_name.starts_with("Nachricht an") && round == 0;
        let keywords: Vec<String> = keywords.iter().map(|k| format!("\"{k}\"")).collect();
        let mut service = format!(
            "slug = \"{slug_part}\"\nleistungsschluessel = \"99{:012}\"\ntopic = \"{topic}\"\nmin_trust_level = \"basis\"\n\
             keywords = [{}]\n",
            (start + i) % SERVICES.len() * 1000 + round,
            keywords.join(", "),
        );
        if has_form {
            service.push_str("destination = \"antragspostfach\"\n");
        }
        let _ = write!(
            service,
            "\n[de]\nname = \"{shown}\"\nsummary = \"{summary}\"\n\
             description = \"\"\"\n{summary} Die Gemeinde {name} berät Sie gern.\n\nBitte bringen Sie die Unterlagen mit, die auf dieser Seite genannt sind.\n\"\"\"\n\
             processing_time = \"meist innerhalb von 10 Arbeitstagen\"\n"
        );
        std::fs::write(tenant_dir.join("services").join(format!("{slug_part}.toml")), service)?;
        if has_form {
            std::fs::write(tenant_dir.join("forms").join(format!("{slug_part}.toml")), contact_form)?;
        }
    }
    Ok(())
}

/// "Kita-Platz beantragen" → "kita-platz-beantragen".
fn slugged(name: &str) -> String {
    let mut slug = String::new();
    for c in name.to_lowercase().chars() {
        match c {
            'a'..='z' | '0'..='9' => slug.push(c),
            'ä' => slug.push_str("ae"),
            'ö' => slug.push_str("oe"),
            'ü' => slug.push_str("ue"),
            'ß' => slug.push_str("ss"),
            _ if !slug.ends_with('-') => slug.push('-'),
            _ => {}
        }
    }
    slug.trim_matches('-').to_owned()
}
