// A real headless Chromium (Debian's package, driven by playwright-core) for the console's tests, with axe-core.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Where .ci/run's Chromium is (BI_SCIM_CHROMIUM), or Debian's default place; null when neither exists. */
export function chromiumPath(): string | null {
  const path = process.env.BI_SCIM_CHROMIUM ?? '/usr/bin/chromium';
  return existsSync(path) ? path : null;
}

export const CHROMIUM_INSTALL_HINT = 'Chromium is missing: apt-get install chromium (or set BI_SCIM_CHROMIUM to its path)';

export function launchChromium(executablePath: string): Promise<Browser> {
  // --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
  return chromium.launch({ executablePath, headless: true, args: ['--no-sandbox'], timeout: 60_000 });
}

export const SCREENSHOTS = new URL('./screenshots/', import.meta.url);

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: new URL(`${name}.png`, SCREENSHOTS).pathname, fullPage: true });
}

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: string[] }>;
}

/**
 * Runs axe-core in the page (WCAG 2.1 A and AA rules and best practices). The source is evaluated through the
 * DevTools protocol, which the page's CSP does not govern, so the policy stays as strict as users get it.
 */
export async function runAxe(page: Page): Promise<{ violations: AxeViolation[]; passes: number }> {
  await page.evaluate(`${AXE_SOURCE};0`);
  return page.evaluate(`axe
    .run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } })
    .then((r) => ({
      passes: r.passes.length,
      violations: r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target })) })),
    }))`) as Promise<{ violations: AxeViolation[]; passes: number }>;
}
