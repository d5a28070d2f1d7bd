import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { axeViolations, beginApplication, launchBrowser, screenshot, scrollsHorizontally, startPortal } from './portal.mjs';

const PASSWORD = 'Kaffeetasse Fahrrad Birke';
const PHONE = { width: 390, height: 844 };

/** A date `days` from today as the three inputs want it. */
/** A small PDF to upload as evidence, as `setInputFiles` takes it. */
function pdfFile(name) {
  return { name, mimeType: 'application/pdf', buffer: Buffer.from(`%PDF-1.4\n% ${name}\n%%EOF\n`) };
}

function dayFromToday(days) {
  const d = new Date(Date.now() + days * 86_400_000);
  return { tag: String(d.getDate()), monat: String(d.getMonth() + 1), jahr: String(d.getFullYear()) };
}

describe('Applying for services in a browser, phone-sized', { timeout: 300_000 }, () => {
  let portal;
  let browser;
  before(async () => {
    portal = await startPortal();
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    portal?.stop();
  });

  /** Screenshot, zero axe violations, no sideways scrolling at 320 px; skips axe where JS is off. */
  async function check(page, name, { axe = true } = {}) {
    await screenshot(page, name);
    if (axe) assert.deepEqual(await axeViolations(page), [], name);
    const size = page.viewportSize();
    await page.setViewportSize({ width: 320, height: size.height });
    assert.equal(await scrollsHorizontally(page), false, `${name} scrolls sideways at 320 px`);
    await page.setViewportSize(size);
    // Back at phone width the page reflows and Chromium's scroll anchoring can still move it a few
    // pixels, under a click already aimed; go on from the top, as after loading the page.
    await page.evaluate(() => window.scrollTo(0, 0));
  }

  const field = (page, name) => page.locator(`[name="${name}"]`);

  async function fill(page, values) {
    for (const [name, value] of Object.entries(values)) await field(page, name).fill(value);
  }

  async function fillDate(page, name, date) {
    await fill(page, { [`${name}.tag`]: date.tag, [`${name}.monat`]: date.monat, [`${name}.jahr`]: date.jahr });
  }

  async function choose(page, name, value) {
    await page.locator(`[name="${name}"][value="${value}"]`).check();
  }

  async function next(page) {
    await page.getByRole('button', { name: 'Weiter', exact: true }).click();
  }

  /** A verified, logged-in citizen with Stammdaten, in a new phone-sized context. */
  async function citizen({ javaScriptEnabled = true } = {}) {
    const context = await browser.newContext({ viewport: PHONE, javaScriptEnabled });
    const page = await context.newPage();
    const email = `antrag.${Date.now()}.${Math.random().toString(36).slice(2)}@example.de`;
    await page.goto(portal.baseUrl + '/registrieren');
    await page.getByLabel('E-Mail-Adresse').fill(email);
    await page.getByLabel('Passwort').fill(PASSWORD);
    await page.getByLabel('Ich habe die Datenschutzhinweise gelesen.').check();
    await page.getByRole('button', { name: 'Konto anlegen' }).click();
    await page.goto(portal.baseUrl + (await portal.linkInMail(email, '/registrieren/bestaetigen')));
    await page.goto(portal.baseUrl + '/anmelden');
    await page.getByLabel('E-Mail-Adresse').fill(email);
    await page.getByLabel('Passwort').fill(PASSWORD);
    await page.getByRole('button', { name: 'Anmelden' }).click();
    await page.goto(portal.baseUrl + '/konto/stammdaten');
    await fill(page, {
      given_name: 'Erika', family_name: 'Mustermann', birth_day: '12', birth_month: '8', birth_year: '1964',
      street_address: 'Heidestraße 17', postal_code: '51147', locality: 'Musterstadt',
    });
    await page.getByRole('button', { name: 'Speichern' }).click();
    return { context, page, email };
  }

  async function send(page, name, { axe = true, declaration = false } = {}) {
    assert.equal(await page.locator('h1').textContent(), 'Prüfen Sie Ihre Angaben');
    await check(page, `${name}-check`, { axe });
    if (declaration) await page.getByRole('checkbox').check();
    await page.getByRole('button', { name: 'Antrag absenden' }).click();
    assert.equal((await page.locator('h1').textContent()).trim(), 'Ihr Antrag wurde gesendet');
    await check(page, `${name}-done`, { axe });
    const reference = (await page.locator('.portal-reference').textContent()).trim();
    assert.match(reference, /^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]$/);
    return reference;
  }

  test('the contact form, with JavaScript off: errors, a condition, check-answers, sent', async () => {
    const { context, page } = await citizen({ javaScriptEnabled: false });
    await page.goto(portal.baseUrl + '/musterstadt/leistungen/kontakt');
    await page.getByRole('link', { name: /starten/i }).first().click();
    assert.equal(await page.locator('h1').textContent(), 'Antrag beginnen', 'a link creates no draft');
    await check(page, 'application-begin', { axe: false });
    await page.getByRole('button', { name: 'Antrag beginnen' }).click();
    assert.equal(await page.locator('h1').textContent(), 'Ihre Nachricht');
    await check(page, 'kontakt-step', { axe: false });

    await next(page);
    assert.match(await page.title(), /^Fehler: /);
    assert.equal(await page.getByRole('alert').getByRole('link').count(), 3, 'one link per problem');
    await check(page, 'kontakt-errors', { axe: false });

    await page.getByLabel('Eine Frage').check();
    await page.getByLabel('Betreff').fill('Straßenlaterne defekt');
    await page.getByLabel('Ihre Nachricht').fill('Die Laterne vor der Heidestraße 17 ist seit einer Woche aus.');
    await next(page);
    assert.equal(await page.locator('h1').textContent(), 'Wie sollen wir Ihnen antworten?');
    await page.getByLabel('Ihr Name').fill('Erika Mustermann');
    await page.getByLabel('Telefon', { exact: true }).check();
    await next(page);
    await page.getByLabel('Telefonnummer').fill('0221 1234567');
    await next(page);

    // "Ändern" returns to check-answers.
    await page.getByRole('link', { name: 'Ändern Betreff' }).click();
    await page.getByLabel('Betreff').fill('Laterne defekt');
    await next(page);
    assert.equal(await page.locator('h1').textContent(), 'Prüfen Sie Ihre Angaben');
    assert.ok(await page.getByText('Laterne defekt').isVisible());
    await send(page, 'kontakt', { axe: false });
    await context.close();
  });

  test('a decision from the authority in the Postfach: listed, counted, read, its PDF linked', async () => {
    const { context, page } = await citizen();
    await beginApplication(page, portal.baseUrl, '/musterstadt/leistungen/kontakt/antrag');
    await page.getByLabel('Eine Frage').check();
    await page.getByLabel('Betreff').fill('Straßenlaterne defekt');
    await page.getByLabel('Ihre Nachricht').fill('Die Laterne vor der Heidestraße 17 ist seit einer Woche aus.');
    await next(page);
    await page.getByLabel('Ihr Name').fill('Erika Mustermann');
    await page.getByLabel('Telefon', { exact: true }).check();
    await next(page);
    await page.getByLabel('Telefonnummer').fill('0221 1234567');
    await next(page);
    const reference = await send(page, 'postfach-case', { axe: false });

    const form = new FormData();
    form.append('message', JSON.stringify({
      kind: 'decision',
      subject: 'Bescheid zu Ihrer Meldung',
      body: 'Sehr geehrte Frau Mustermann,\n\ndie Laterne wird bis Freitag repariert.\n\nMit freundlichen Grüßen\nIhre Stadtverwaltung',
    }));
    form.append('attachment', new Blob([pdfFile('bescheid.pdf').buffer], { type: 'application/pdf' }), 'bescheid.pdf');
    const answer = await fetch(`${portal.baseUrl}/api/v1/cases/${reference}/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${portal.apiToken('musterstadt')}`, 'idempotency-key': reference },
      body: form,
    });
    assert.equal(answer.status, 201, await answer.text());

    await page.goto(portal.baseUrl + '/postfach');
    assert.equal(await page.locator('h1').textContent(), 'Postfach');
    // On a phone the header's links are in the folded menu: read its link's text.
    const headerLink = page.locator('header a[href="/postfach"]').first();
    assert.match(await headerLink.textContent(), /Postfach\s+1 ungelesen/, 'the header counts it');
    await check(page, 'postfach-list');
    await page.getByRole('link', { name: 'Bescheid zu Ihrer Meldung' }).click();
    assert.equal((await page.locator('h1').textContent()).trim(), 'Bescheid zu Ihrer Meldung');
    assert.ok(await page.getByRole('link', { name: 'bescheid.pdf' }).isVisible());
    assert.doesNotMatch(await headerLink.textContent(), /ungelesen/, 'read now');
    await check(page, 'postfach-message');
    await page.getByRole('button', { name: 'Antwort senden' }).click();
    assert.match(await page.title(), /^Fehler: /);
    await check(page, 'postfach-reply-error');
    await page.getByRole('link', { name: 'Geben Sie Ihre Antwort ein oder fügen Sie eine Datei an.' }).click();
    assert.equal(await page.evaluate(() => document.activeElement.id), 'antwort', 'the summary link focuses the field');
    await page.getByLabel('Ihre Antwort').fill('Vielen Dank, anbei mein Foto der Laterne.');
    // A file of a type not taken: the reply is not sent, its text stays, the file is chosen again.
    await page.getByLabel('Dateien anfügen').setInputFiles({ name: 'notiz.txt', mimeType: 'text/plain', buffer: Buffer.from('Hallo') });
    await page.getByRole('button', { name: 'Antwort senden' }).click();
    assert.match(await page.title(), /^Fehler: /);
    assert.equal(await page.getByLabel('Ihre Antwort').inputValue(), 'Vielen Dank, anbei mein Foto der Laterne.');
    await check(page, 'postfach-reply-file-error');
    await page.getByRole('link', { name: /„notiz.txt“ ist keine Datei in einem erlaubten Format/ }).click();
    assert.equal(await page.evaluate(() => document.activeElement.id), 'anlage', 'the summary link focuses the file field');
    await page.getByLabel('Dateien anfügen').setInputFiles(pdfFile('laterne.pdf'));
    await page.getByRole('button', { name: 'Antwort senden' }).click();
    assert.ok(await page.getByText('Ihre Antwort wurde gesendet.').isVisible());
    await context.close();
  });

  test('the contact form pages pass axe', async () => {
    const { context, page } = await citizen();
    await page.goto(portal.baseUrl + '/musterstadt/leistungen/kontakt/antrag');
    await check(page, 'application-begin-axe');
    await beginApplication(page, portal.baseUrl, '/musterstadt/leistungen/kontakt/antrag');
    await check(page, 'kontakt-step-axe');
    await next(page);
    await check(page, 'kontakt-errors-axe');
    await page.getByRole('link', { name: 'Ihre Nachricht' }).first().click();
    assert.equal(await page.evaluate(() => document.activeElement.id), 'text', 'the summary link focuses the field');
    await context.close();
  });

  test('Anwohnerparkausweis: locked address, company car step, fee, declaration', async () => {
    const { context, page } = await citizen();
    await beginApplication(page, portal.baseUrl, '/musterstadt/leistungen/anwohnerparkausweis/antrag');
    assert.equal(await page.locator('h1').textContent(), 'Ihre Angaben');
    assert.equal(await field(page, 'vorname').inputValue(), 'Erika');
    assert.equal(await field(page, 'anschrift.strasse').inputValue(), 'Heidestraße');
    assert.equal(await field(page, 'anschrift.strasse').getAttribute('readonly'), '');
    await check(page, 'parken-person');
    await next(page);

    await page.getByLabel('Kennzeichen').fill('K-EM 1964');
    await page.getByLabel('Auf meinen Arbeitgeber (Firmenwagen)').check();
    await page.getByLabel('Fahrzeugschein (Zulassungsbescheinigung Teil I)').setInputFiles(pdfFile('fahrzeugschein.pdf'));
    await check(page, 'parken-fahrzeug');
    await page.getByRole('button', { name: 'Hochladen' }).click();
    assert.ok(await page.getByRole('link', { name: 'fahrzeugschein.pdf' }).isVisible(), 'the uploaded file is listed');
    assert.equal(await page.getByLabel('Kennzeichen').inputValue(), 'K-EM 1964', 'the answers are kept');
    await check(page, 'parken-fahrzeug-hochgeladen');
    await next(page);
    assert.equal(await page.locator('h1').textContent(), 'Nutzung des Fahrzeugs');
    await page.getByLabel('Name der Firma').fill('Muster GmbH');
    await page.getByLabel('Bestätigung, dass Ihnen das Fahrzeug dauerhaft zur Verfügung steht').setInputFiles(pdfFile('bestaetigung.pdf'));
    await check(page, 'parken-nutzung');
    await next(page);
    await fillDate(page, 'beginn', dayFromToday(7));
    await page.getByLabel('6 Monate (15,35 €)').check();
    await check(page, 'parken-zeitraum');
    await next(page);

    assert.ok(await page.getByText('15,35 €', { exact: true }).isVisible(), 'the fee is computed from the answers');
    await page.getByRole('button', { name: 'Gebühr bezahlen und Antrag senden' }).click();
    assert.match(await page.title(), /^Fehler: /, 'the declaration must be confirmed');
    await check(page, 'parken-declaration-error');
    // The fee is paid online first: the demo provider's page, then back, confirmed, sent.
    await page.getByRole('checkbox').check();
    await page.getByRole('button', { name: 'Gebühr bezahlen und Antrag senden' }).click();
    assert.equal(await page.locator('h1').textContent(), 'Gebühr bezahlen');
    assert.ok(await page.getByText('15,35 €', { exact: true }).isVisible(), 'the provider asks for the fee');
    await check(page, 'parken-pay');
    await page.getByRole('button', { name: 'Bezahlt' }).click();
    assert.equal((await page.locator('h1').textContent()).trim(), 'Ihr Antrag wurde gesendet');
    await check(page, 'parken-done');
    await context.close();
  });

  test('Hundesteuer: two dogs in a repeating group, one removed, tax shown', async () => {
    const { context, page } = await citizen();
    await beginApplication(page, portal.baseUrl, '/musterstadt/leistungen/hund-anmelden/antrag');
    assert.equal(await field(page, 'geburtsdatum.jahr').inputValue(), '1964', 'birth date from the Stammdaten');
    await check(page, 'hund-halter');
    await next(page);

    const dog = async (i, name, dangerous) => {
      await field(page, `hunde.${i}.name`).fill(name);
      await field(page, `hunde.${i}.rasse`).fill('Mischling');
      await fillDate(page, `hunde.${i}.gewurfen`, { tag: '1', monat: '6', jahr: '2023' });
      await fillDate(page, `hunde.${i}.seit`, dayFromToday(0));
      await choose(page, `hunde.${i}.gefaehrlich`, dangerous ? 'ja' : 'nein');
    };
    await dog(0, 'Bello', false);
    await check(page, 'hund-hunde');
    await page.getByRole('button', { name: 'Hund hinzufügen' }).click();
    await dog(1, 'Rex', true);
    await page.getByRole('button', { name: 'Hund hinzufügen' }).click();
    assert.equal(await field(page, 'hunde.0.name').inputValue(), 'Bello', 'adding keeps what was typed');
    await check(page, 'hund-drei-hunde');
    await page.getByRole('button', { name: 'Hund 3 entfernen' }).click();
    assert.equal(await page.locator('fieldset legend', { hasText: /^Hund \d$/ }).count(), 2);
    assert.ok(await page.getByText('690,00 €').isVisible(), 'tax for Bello (90 €) and Rex (600 €)');
    await next(page);
    assert.ok(await page.getByText('Rex').first().isVisible());
    await send(page, 'hund', { declaration: true });
    await context.close();
  });

  test('Gewerbeanmeldung: task list, sections, a rule across steps', async () => {
    const { context, page } = await citizen();
    await beginApplication(page, portal.baseUrl, '/musterstadt/leistungen/gewerbeanmeldung/antrag');
    assert.equal(await page.locator('h1').textContent(), 'Gewerbe anmelden');
    await check(page, 'gewerbe-aufgaben');

    await page.getByRole('link', { name: 'Angaben zu Ihrer Person' }).click();
    await page.getByLabel('Staatsangehörigkeit').selectOption('deutsch');
    await next(page);
    await check(page, 'gewerbe-kontakt');
    await next(page);
    assert.equal(await page.locator('h1').textContent(), 'Gewerbe anmelden', 'back to the task list');

    await page.getByRole('link', { name: 'Angaben zum Betrieb' }).click();
    await page.getByLabel('GmbH', { exact: true }).check();
    await page.getByLabel('Name des Betriebs').fill('Radwerk Mustermann GmbH');
    await next(page);
    await page.getByLabel('Registergericht').fill('Amtsgericht Musterstadt');
    await page.getByLabel('Registernummer').fill('HRB 4711');
    await next(page);
    await page.getByLabel('Nein', { exact: true }).check();
    await next(page);
    await fill(page, { 'betriebsadresse.strasse': 'Am Markt', 'betriebsadresse.hausnummer': '3', 'betriebsadresse.plz': '51143', 'betriebsadresse.ort': 'Musterstadt' });
    await next(page);

    await page.getByRole('link', { name: 'Angaben zur Tätigkeit' }).click();
    await page.getByLabel('Welche Tätigkeit üben Sie aus?').fill('Verkauf und Reparatur von Fahrrädern');
    await fillDate(page, 'beginn', dayFromToday(30));
    await page.getByLabel('Haupterwerb').check();
    await page.getByLabel('Wie viele Personen beschäftigen Sie außer sich selbst?').fill('2');
    await page.getByLabel('Ja', { exact: true }).check();
    await check(page, 'gewerbe-taetigkeit');
    await next(page);
    await page.getByLabel('Welche Behörde hat die Erlaubnis erteilt?').fill('Landratsamt Musterland');
    await fillDate(page, 'erlaubnis_datum', dayFromToday(60));
    await page.getByLabel('Kopie der Erlaubnis').setInputFiles(pdfFile('erlaubnis.pdf'));
    await next(page);
    assert.match(await page.title(), /^Fehler: /);
    assert.ok(await page.getByText('Die Erlaubnis muss vor dem Beginn der Tätigkeit erteilt sein.').first().isVisible());
    await check(page, 'gewerbe-regel');
    await fillDate(page, 'erlaubnis_datum', dayFromToday(-10));
    await next(page);
    assert.equal(await page.getByText('Erledigt', { exact: true }).count(), 3);
    await page.getByRole('link', { name: 'Angaben prüfen' }).click();
    assert.ok(await page.getByText('26,00 €').isVisible(), 'the service fee');
    await send(page, 'gewerbe', { declaration: true });

    await page.getByRole('link', { name: 'Zu „Meine Anträge“' }).click();
    await check(page, 'antraege');
    await context.close();
  });
});
