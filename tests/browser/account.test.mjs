import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { axeViolations, launchBrowser, screenshot, scrollsHorizontally, startPortal } from './portal.mjs';

// Every page works without JavaScript (forms.test.mjs fills one form with it off); it stays on here for axe.
describe('Servicekonto in a browser, phone-sized', { timeout: 120_000 }, () => {
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

  async function check(page, name) {
    await screenshot(page, name);
    assert.deepEqual(await axeViolations(page), [], name);
    assert.equal(await scrollsHorizontally(page), false, `${name} scrolls sideways`);
  }

  test('register with mistakes, correct them, verify by mail, log in, see the account, log out', async () => {
    const context = await browser.newContext({ viewport: { width: 320, height: 740 } });
    const page = await context.newPage();
    const email = `erika.${Date.now()}@example.de`;

    await page.goto(portal.baseUrl + '/registrieren');
    await check(page, 'register');
    await page.getByLabel('E-Mail-Adresse').fill('erika@example');
    await page.getByLabel('Passwort').fill('kurz');
    await page.getByRole('button', { name: 'Konto anlegen' }).click();
    assert.match(await page.title(), /^Fehler: /);
    await check(page, 'register-errors');
    const summary = page.getByRole('alert');
    assert.equal(await summary.getByRole('link').count(), 3, 'one link per problem');
    await summary.getByRole('link').first().click();
    assert.equal(await page.evaluate(() => document.activeElement.id), 'email', 'the summary link focuses the field');

    await page.getByLabel('E-Mail-Adresse').fill(email);
    await page.getByLabel('Passwort').fill('Kaffeetasse Fahrrad Birke');
    await page.getByLabel('Ich habe die Datenschutzhinweise gelesen.').check();
    await page.getByRole('button', { name: 'Konto anlegen' }).click();
    assert.equal(await page.locator('h1').textContent(), 'Prüfen Sie Ihr E-Mail-Postfach');

    await page.goto(portal.baseUrl + (await portal.linkInMail(email, '/registrieren/bestaetigen')));
    assert.equal(await page.locator('h1').textContent(), 'Ihre E-Mail-Adresse ist bestätigt');
    await page.getByRole('link', { name: 'Anmelden' }).last().click();
    await check(page, 'login');
    await page.getByLabel('E-Mail-Adresse').fill(email);
    await page.getByLabel('Passwort').fill('Kaffeetasse Fahrrad Birke');
    await page.getByRole('button', { name: 'Anmelden' }).click();
    assert.equal(await page.locator('h1').textContent(), 'Ihr Servicekonto');
    await check(page, 'konto');
    for (const [path, name] of [
      ['/konto/stammdaten', 'stammdaten'], ['/konto/passwort', 'change-password'],
      ['/konto/email', 'change-email'], ['/konto/loeschen', 'delete-account'],
    ]) {
      await page.goto(portal.baseUrl + path);
      await check(page, name);
    }
    await page.goto(portal.baseUrl + '/konto/stammdaten');
    await page.getByLabel('Tag').fill('31');
    await page.getByLabel('Monat').fill('2');
    await page.getByLabel('Jahr').fill('1990');
    await page.getByRole('button', { name: 'Speichern' }).click();
    await check(page, 'stammdaten-errors');
    await page.goto(portal.baseUrl + '/leistungen');

    // The header says who is logged in; on a phone its links are in a menu the keyboard opens.
    const header = page.locator('header');
    const account = header.getByRole('link', { name: `Angemeldet als ${email}` });
    assert.equal(await account.count(), 0, 'folded away on a phone');
    await header.locator('summary', { hasText: 'Menü' }).focus();
    await page.keyboard.press('Enter');
    await account.waitFor();
    assert.equal(await header.getByRole('link', { name: 'Meine Anträge' }).count(), 1);
    await check(page, 'header-menu-logged-in');
    await header.getByRole('button', { name: 'Abmelden' }).click();
    assert.equal(await page.getByRole('status').textContent().then((t) => t.trim()), 'Sie sind abgemeldet.');
    await context.close();

    // On a wide screen the same links stand in a row.
    const wide = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const desk = await wide.newPage();
    await desk.goto(portal.baseUrl + '/anmelden');
    await desk.getByLabel('E-Mail-Adresse').fill(email);
    await desk.getByLabel('Passwort').fill('Kaffeetasse Fahrrad Birke');
    await desk.getByRole('button', { name: 'Anmelden' }).click();
    await desk.goto(portal.baseUrl + '/musterstadt/leistungen');
    await desk.locator('header').getByRole('link', { name: `Angemeldet als ${email}` }).waitFor();
    await screenshot(desk, 'header-logged-in-1280');
    assert.deepEqual(await axeViolations(desk), [], 'header logged in, wide');
    await wide.close();
  });
});
