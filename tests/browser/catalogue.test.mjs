import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { axeViolations, launchBrowser, screenshot, scrollsHorizontally, startPortal } from './portal.mjs';

const pages = [
  ['start', '/'],
  ['catalogue', '/leistungen?q=Hund'],
  ['service', '/musterstadt/leistungen/anwohnerparkausweis'],
  ['tenant-home', '/landkreis-musterland/'],
  ['responsibility', '/zustaendigkeit?ort=71997'],
  ['accessibility-statement', '/musterstadt/barrierefreiheit'],
  ['imprint-choose', '/impressum?suche=muster'],
  ['privacy-choose-none', '/datenschutz?suche=Atlantis'],
  ['not-found', '/gibt-es-nicht'],
  ['service-en', '/landkreis-musterland/leistungen/wohngeld?lang=en'],
];

describe('catalogue pages in a browser', { timeout: 180_000 }, () => {
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

  for (const [name, path] of pages) {
    test(`${name}: no WCAG 2.2 A/AA violations on desktop and at 320 px, no sideways scrolling`, async () => {
      for (const width of [1280, 320]) {
        const context = await browser.newContext({ viewport: { width, height: 800 } });
        const page = await context.newPage();
        await page.goto(portal.baseUrl + path);
        await screenshot(page, `${name}-${width}`);
        assert.deepEqual(await axeViolations(page), [], `${path} at ${width} px`);
        assert.equal(await scrollsHorizontally(page), false, `${path} scrolls sideways at ${width} px`);
        assert.equal(await page.locator('h1').count(), 1, `${path} has one h1`);
        await context.close();
      }
    });
  }

  test('the catalogue search works with JavaScript disabled', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 390, height: 844 } });
    const page = await context.newPage();
    await page.goto(portal.baseUrl + '/');
    await page.getByLabel('Wonach suchen Sie?').fill('Sperrmüll');
    await page.getByRole('button', { name: 'Suchen' }).click();
    await page.waitForURL(/\/leistungen\?q=Sperrm/);
    await assert.doesNotReject(page.getByRole('link', { name: 'Sperrmüllabholung anmelden' }).waitFor());
    await page.getByRole('link', { name: 'Sperrmüllabholung anmelden' }).click();
    assert.equal(await page.locator('h1').textContent(), 'Sperrmüllabholung anmelden');
    await context.close();
  });

  // axe needs JavaScript: account.test.mjs checks the open menu with it.
  test('on a phone the header folds into a menu that opens by keyboard with JavaScript disabled', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 320, height: 740 } });
    const page = await context.newPage();
    await page.goto(portal.baseUrl + '/musterstadt/leistungen');
    const header = page.locator('header');
    assert.equal(await header.getByRole('link', { name: 'Anmelden' }).count(), 0, 'folded away');
    const toggle = header.locator('summary', { hasText: 'Menü' });
    await toggle.focus();
    await page.keyboard.press('Enter');
    await header.getByRole('link', { name: 'Anmelden' }).waitFor();
    await screenshot(page, 'header-menu-320');
    await header.getByRole('link', { name: 'Anmelden' }).click();
    assert.equal(await page.locator('h1').textContent(), 'Anmelden');
    await context.close();
  });

  test('the filters narrow the catalogue with JavaScript disabled', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(portal.baseUrl + '/leistungen');
    await page.getByLabel('Thema').selectOption({ label: 'Umwelt' });
    await page.getByRole('button', { name: 'Suchen' }).click();
    assert.equal(await page.getByRole('heading', { level: 2, name: '1 Leistung gefunden' }).count(), 1);
    await context.close();
  });

  test('keyboard: the first Tab reaches a visible skip link that moves focus to the content', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(portal.baseUrl + '/musterstadt/leistungen/wohngeld'.replace('musterstadt', 'landkreis-musterland'));
    await page.keyboard.press('Tab');
    const focused = page.locator(':focus');
    assert.equal(await focused.textContent(), 'Zum Inhalt springen');
    const box = await focused.boundingBox();
    assert.ok(box && box.y >= 0, 'the skip link is on screen when focused');
    await page.keyboard.press('Enter');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'inhalt');
    await context.close();
  });

  test('keyboard: every link and button on the start page can be reached with Tab, in order', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(portal.baseUrl + '/');
    // The phone menu's copy of the header links is hidden on a wide screen.
    const expected = await page.locator('a[href], button, input, select, summary').filter({ visible: true }).count();
    const seen = new Set();
    for (let i = 0; i < expected + 2; i++) {
      await page.keyboard.press('Tab');
      seen.add(await page.evaluate(() => document.activeElement.outerHTML));
    }
    assert.ok(seen.size >= expected, `${seen.size} of ${expected} controls reached`);
    await context.close();
  });

  test('the language switch shows the page in English and keeps it', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(portal.baseUrl + '/leistungen?q=Hund');
    await page.getByRole('link', { name: 'English' }).click();
    assert.equal(await page.locator('html').getAttribute('lang'), 'en');
    assert.equal(await page.locator('h1').textContent(), 'Find a service');
    assert.equal(await page.getByLabel('What are you looking for?').inputValue(), 'Hund');
    await page.goto(portal.baseUrl + '/');
    assert.equal(await page.locator('html').getAttribute('lang'), 'en');
    await context.close();
  });
});
