// The console's page shell and small parts (tables, badges, times), rendered on the server with hono/jsx.
// Node runs src/ with type stripping, which has no JSX syntax, so elements are built with hono/jsx's jsx() as h().
import { jsx, type Child } from 'hono/jsx';
import type { ConsoleSession } from './session.ts';
import { CONSOLE_CSS_PATH } from './style.ts';

export const h = jsx;
export type { Child };

export const PAGES = [
  { path: '/', title: 'Overview' },
  { path: '/activity', title: 'Activity' },
  { path: '/audit', title: 'Audit' },
  { path: '/drift', title: 'Drift' },
  { path: '/guard', title: 'Guard' },
  { path: '/mappings', title: 'Mappings' },
] as const;

export type Tone = 'ok' | 'warn' | 'bad' | 'info' | 'neutral';

/** Drift severities as badges: rights and access in red, membership in amber, attributes and the rest calmer. */
export const SEVERITY_TONE: Record<string, Tone> = { critical: 'bad', high: 'bad', medium: 'warn', low: 'info', info: 'neutral' };

export const badge = (text: string, tone: Tone) => h('span', { class: `badge ${tone}` }, text);

/** An instant as people read it, in UTC, machine-readable in `datetime`. */
export function when(iso: string | null | undefined): Child {
  if (!iso) return h('span', { class: 'muted' }, 'never');
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return iso;
  return h('time', { datetime: at.toISOString() }, `${at.toISOString().slice(0, 16).replace('T', ' ')} UTC`);
}

/** 90 → "1 min", 200000 → "2 d": how long, roughly. */
export function span(seconds: number | null): string {
  if (seconds === null) return '—';
  const units: Array<[number, string]> = [
    [86_400, 'd'],
    [3_600, 'h'],
    [60, 'min'],
  ];
  for (const [size, unit] of units) if (seconds >= size) return `${Math.floor(seconds / size)} ${unit}`;
  return `${Math.round(seconds)} s`;
}

/** "1 finding", "3 findings". */
export const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;

/** A table that scrolls sideways on a phone; the region is focusable so keyboards can scroll it too. */
export function table(caption: string, headers: string[], rows: Child[][], numeric: number[] = []): Child {
  const cell = (tag: 'th' | 'td', i: number, content: Child) =>
    h(tag, numeric.includes(i) ? { class: 'num', ...(tag === 'th' ? { scope: 'col' } : {}) } : tag === 'th' ? { scope: 'col' } : null, content);
  return h(
    'div',
    { class: 'scroll', tabindex: 0, role: 'region', 'aria-label': caption },
    h(
      'table',
      null,
      h('caption', { class: 'muted' }, caption),
      h('thead', null, h('tr', null, ...headers.map((head, i) => cell('th', i, head)))),
      h(
        'tbody',
        null,
        ...(rows.length > 0
          ? rows.map((row) => h('tr', null, ...row.map((content, i) => cell('td', i, content))))
          : [h('tr', null, h('td', { colspan: headers.length, class: 'muted' }, 'None.'))]),
      ),
    ),
  );
}

export function notice(text: Child, tone: 'ok' | 'bad' | 'info' = 'info'): Child {
  return h('div', { class: `notice notice-${tone}`, role: tone === 'bad' ? 'alert' : 'status' }, text);
}

function header(current: string, session: ConsoleSession | null): Child {
  const links = PAGES.map((p) => h('li', null, h('a', { href: p.path, ...(p.path === current ? { 'aria-current': 'page' } : {}) }, p.title)));
  return h(
    'header',
    null,
    h(
      'div',
      { class: 'bar' },
      h('span', { class: 'brand' }, 'bi-scim console'),
      session ? h('nav', { 'aria-label': 'Console pages' }, h('ul', null, ...links)) : null,
      session
        ? h(
            'form',
            { method: 'post', action: '/sign-out', class: 'actions' },
            h('span', null, `Signed in as ${session.name}`),
            h('input', { type: 'hidden', name: 'csrf', value: session.csrf }),
            h('button', { type: 'submit' }, 'Sign out'),
          )
        : null,
    ),
  );
}

/** A whole document: the shell, the page's heading and its content. */
export async function renderPage(options: { title: string; path: string; session: ConsoleSession | null; content: Child[] }): Promise<string> {
  const document = h(
    'html',
    { lang: 'en' },
    h(
      'head',
      null,
      h('meta', { charset: 'utf-8' }),
      h('meta', { name: 'viewport', content: 'width=device-width, initial-scale=1' }),
      h('title', null, `${options.title} · bi-scim console`),
      h('link', { rel: 'stylesheet', href: CONSOLE_CSS_PATH }),
    ),
    h(
      'body',
      null,
      h('a', { class: 'skip', href: '#main' }, 'Skip to content'),
      header(options.path, options.session),
      h('main', { id: 'main', tabindex: -1 }, h('h1', null, options.title), ...options.content),
    ),
  );
  return `<!doctype html>${await document.toString()}`;
}
