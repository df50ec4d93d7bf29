// The console's one stylesheet, served by the console itself (no CDN, no inline style: CSP style-src 'self').
import { hash } from 'node:crypto';

export const CONSOLE_CSS = `
:root { color-scheme: light; --text: #1b1f24; --muted: #57606a; --line: #d0d7de; --link: #0a58ca; --nav: #0b3d5c; --soft: #f6f8fa; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif; color: var(--text); background: #fff; }
a { color: var(--link); }
:focus-visible { outline: 3px solid var(--link); outline-offset: 2px; }
.skip { position: absolute; left: -999px; top: 0; background: #fff; padding: .5rem 1rem; }
.skip:focus { left: 0; z-index: 1; }
header { background: var(--nav); color: #fff; }
header .bar { max-width: 76rem; margin: 0 auto; padding: .5rem 1rem; display: flex; flex-wrap: wrap; gap: .5rem 1.5rem; align-items: center; }
header .brand { font-weight: 700; margin-right: auto; }
header nav ul { list-style: none; display: flex; flex-wrap: wrap; gap: .25rem .75rem; margin: 0; padding: 0; }
header nav a { color: #fff; text-decoration: none; padding: .25rem .5rem; border-radius: 4px; display: inline-block; }
header nav a:hover { text-decoration: underline; }
header nav a[aria-current="page"] { background: #fff; color: var(--nav); font-weight: 600; }
header nav a:focus-visible, header button:focus-visible { outline-color: #fff; }
header form { margin: 0; }
header button { background: transparent; color: #fff; border: 1px solid #fff; }
main { max-width: 76rem; margin: 0 auto; padding: 1rem; }
h1 { font-size: 1.6rem; margin: .5rem 0 1rem; }
h2 { font-size: 1.2rem; margin: 1.5rem 0 .5rem; }
.muted { color: var(--muted); }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(15rem, 1fr)); gap: 1rem; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: .75rem 1rem; }
.card h2 { margin-top: 0; font-size: 1rem; }
.scroll { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; width: 100%; font-size: .95rem; }
th, td { text-align: left; padding: .4rem .6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: var(--soft); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .9em; overflow-wrap: anywhere; }
.badge { display: inline-block; padding: 0 .5rem; border-radius: 999px; font-size: .85rem; font-weight: 600; border: 1px solid transparent; }
.ok { background: #dafbe1; color: #116329; border-color: #4ac26b; }
.warn { background: #fff8c5; color: #6a4300; border-color: #d4a72c; }
.bad { background: #ffebe9; color: #a40e26; border-color: #ff8182; }
.info { background: #ddf4ff; color: #0550ae; border-color: #54aeff; }
.neutral { background: var(--soft); color: var(--text); border-color: var(--line); }
form.filters { display: grid; grid-template-columns: repeat(auto-fit, minmax(11rem, 1fr)); gap: .5rem 1rem; align-items: end; margin-bottom: 1rem; }
label { display: block; font-weight: 600; font-size: .9rem; }
input, select, button { font: inherit; }
input, select { width: 100%; padding: .35rem .5rem; border: 1px solid #6e7781; border-radius: 6px; background: #fff; color: var(--text); }
button, .button { display: inline-block; padding: .4rem .9rem; border-radius: 6px; border: 1px solid var(--nav); background: var(--nav); color: #fff; cursor: pointer; text-decoration: none; }
button.secondary, .button.secondary { background: #fff; color: var(--nav); }
.actions { display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; }
.notice { border-left: 4px solid var(--link); background: #ddf4ff; color: var(--text); padding: .5rem 1rem; margin: 1rem 0; }
.notice-bad { border-left-color: #cf222e; background: #ffebe9; }
.notice-ok { border-left-color: #1a7f37; background: #dafbe1; }
details.event { border: 1px solid var(--line); border-radius: 6px; margin: .4rem 0; }
details.event > summary { cursor: pointer; padding: .4rem .6rem; display: flex; flex-wrap: wrap; gap: .25rem .75rem; align-items: baseline; }
details.event[open] > summary { border-bottom: 1px solid var(--line); background: var(--soft); }
details.event .body { padding: .5rem .75rem; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; margin: 0; }
dl.facts dt { font-weight: 600; }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
ul.plan { margin: .25rem 0; padding-left: 1.25rem; }
figure.chart { margin: 0; }
figure.chart svg { width: 100%; height: auto; display: block; }
.legend { display: flex; flex-wrap: wrap; gap: 1rem; list-style: none; padding: 0; margin: .5rem 0; }
.swatch { display: inline-block; width: .9rem; height: .9rem; border-radius: 2px; vertical-align: middle; margin-right: .3rem; }
.s-success { background: #2da44e; } .s-refused { background: #bf8700; } .s-failed { background: #cf222e; }
.signin { max-width: 26rem; margin: 3rem auto; }
.signin input { margin: .25rem 0 1rem; }
@media (max-width: 40rem) { body { font-size: 15px; } main { padding: .75rem; } th, td { padding: .35rem .4rem; } }
`;

/** Named by its content, so browsers may keep it for ever and a new version is fetched at once. */
export const CONSOLE_CSS_PATH = `/assets/console-${hash('sha256', CONSOLE_CSS, 'hex').slice(0, 12)}.css`;
