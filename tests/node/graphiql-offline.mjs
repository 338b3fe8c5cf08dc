// Loads GraphiQL in headless Chromium, waits for it to render and fetch
// the schema, runs a query through it, and reports every request the page
// made. The Rust test asserts that none left 127.0.0.1.
import { chromium } from 'playwright-core';

const [url, executable] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: executable || '/usr/bin/chromium',
  args: [
    '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
  ],
});
const requests = [];
const failed = [];
const consoleErrors = [];
try {
  const page = await browser.newPage();
  page.on('request', (r) => requests.push(r.url()));
  page.on('requestfailed', (r) => failed.push(r.url()));
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  await page.goto(url, { waitUntil: 'networkidle' });
  await page.waitForSelector('.graphiql-container', { timeout: 20000 });
  // Wait for the introspection query the IDE sends to learn the schema.
  await page.waitForResponse((r) => r.url().endsWith('/graphql') && r.request().method() === 'POST', { timeout: 20000 })
    .catch(() => null);
  // Type a query and run it with the execute button.
  const editor = page.locator('.graphiql-query-editor .CodeMirror').first();
  await editor.click();
  await page.keyboard.press('Control+A');
  await page.keyboard.type('{ apiVersion }');
  const result = page.waitForResponse((r) => r.url().endsWith('/graphql') && (r.request().postData() ?? '').includes('apiVersion'), { timeout: 20000 });
  await page.locator('.graphiql-execute-button').click();
  const response = await (await result).json();
  await page.waitForFunction(() => document.querySelector('.result-window')?.textContent?.includes('apiVersion'), null, { timeout: 20000 });
  const shown = await page.locator('.result-window').innerText();
  console.log(JSON.stringify({ requests, failed, consoleErrors, response, shown }));
} finally {
  await browser.close();
}
