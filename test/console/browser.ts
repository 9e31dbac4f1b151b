/** A hub and a real Chromium for console tests: log in as a person would, check pages with axe-core. */
import type { Test } from 'tap';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startTestHub, type TestHub } from '../helpers/hub.js';
import { changeOwnPassword, createUser, type NewUser } from '../../src/staff/users.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface ConsoleHarness {
  th: TestHub;
  browser: Browser;
  /** A fresh browser profile (own cookies), as a second person on a second computer. */
  context(): Promise<BrowserContext>;
  /** A user whose first-login password change is done; answers the password to type. */
  user(u: NewUser): Promise<{ username: string; password: string }>;
  /** A fresh profile's page signed in as the user. */
  signedIn(u: { username: string; password: string }): Promise<Page>;
}

export async function startConsole(t: Test): Promise<ConsoleHarness> {
  const th = await startTestHub(t);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  t.teardown(() => browser.close());
  const db = th.hub.database.db;
  const h: ConsoleHarness = {
    th, browser,
    // bypassCSP only so the axe-core script can be injected; the pages' own CSP is asserted apart.
    context: () => browser.newContext({ baseURL: th.url, bypassCSP: true, locale: 'id-ID' }),
    async user(u) {
      const { user, password } = await createUser(db, th.hub.config, u, { actor: 'test' });
      const chosen = `Sandi-Rahasia-${u.fullName.length}-Tubaba-42`;
      const problem = await changeOwnPassword(db, user, { current: password, password: chosen, confirm: chosen }, '-');
      if (problem) throw new Error(problem);
      return { username: u.username, password: chosen };
    },
    async signedIn(u) {
      const page = await (await h.context()).newPage();
      await login(page, u.username, u.password);
      return page;
    },
  };
  return h;
}

export async function login(page: Page, username: string, password: string): Promise<void> {
  await page.goto('/');
  await page.getByLabel('Nama pengguna').fill(username);
  await page.getByLabel('Kata sandi', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Masuk' }).click();
  await page.waitForLoadState('domcontentloaded');
}

/** axe-core's serious and critical violations on the page as it is now (id and first target of each). */
export async function axeViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ content: AXE });
  const result = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(o: unknown): Promise<{ violations: Array<{ id: string; impact: string; nodes: Array<{ target: string[] }> }> }> } }).axe;
    return axe.run({ resultTypes: ['violations'] });
  });
  return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}) at ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`);
}
