import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { axeViolations, beginApplication, launchBrowser, screenshot, startPortal } from './portal.mjs';

// Sessions end after two minutes here, so the warning (two minutes before the end) shows at once.
describe('The session-timeout warning on a form step', { timeout: 120_000 }, () => {
  let portal;
  let browser;
  before(async () => {
    portal = await startPortal({ BUERGERPORTAL_SESSION_IDLE_MINUTES: '2' });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    portal?.stop();
  });

  test('warns, lets the citizen stay logged in, and closes', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const page = await context.newPage();
    const email = `zeit.${Date.now()}@example.de`;
    await page.goto(portal.baseUrl + '/registrieren');
    await page.getByLabel('E-Mail-Adresse').fill(email);
    await page.getByLabel('Passwort').fill('Kaffeetasse Fahrrad Birke');
    await page.getByLabel('Ich habe die Datenschutzhinweise gelesen.').check();
    await page.getByRole('button', { name: 'Konto anlegen' }).click();
    await page.goto(portal.baseUrl + (await portal.linkInMail(email, '/registrieren/bestaetigen')));
    await page.goto(portal.baseUrl + '/anmelden');
    await page.getByLabel('E-Mail-Adresse').fill(email);
    await page.getByLabel('Passwort').fill('Kaffeetasse Fahrrad Birke');
    await page.getByRole('button', { name: 'Anmelden' }).click();

    await beginApplication(page, portal.baseUrl, '/musterstadt/leistungen/kontakt/antrag');
    assert.match(await page.locator('#sitzung').textContent(), /nach 2 Minuten ohne Aktivität abgemeldet/);
    const dialog = page.getByRole('dialog', { name: 'Möchten Sie angemeldet bleiben?' });
    await dialog.waitFor();
    await screenshot(page, 'session-timeout-warning');
    assert.deepEqual(await axeViolations(page), [], 'the open dialog');
    assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Angemeldet bleiben', 'focus is in the dialog');

    // A two-minute session is always within the warning time, so a new warning follows; this one goes.
    const first = await page.$('dialog');
    const extended = page.waitForResponse((r) => r.url().endsWith('/konto/sitzung'));
    await page.keyboard.press('Enter');
    assert.equal((await extended).status(), 204);
    await page.waitForFunction((d) => !d.isConnected, first);
    await context.close();
  });
});
