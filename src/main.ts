// Entry point (`npm start`, `bi-scim`): the only place that reads process.env and argv; -1 means "keep serving".
import { runCli } from './cli.ts';
import { progressBar, type Io } from './commands/output.ts';

// A reader that stops early (`bi-scim audit | head`) closes the pipe: end quietly, as Unix tools do.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
  process.exit(0);
});

const io: Io = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  progress: (label) => progressBar(label, process.stderr),
};
/** Resolves once everything written so far has left the process: a pipe takes writes asynchronously. */
const drained = (stream: NodeJS.WriteStream) => new Promise<void>((resolve) => stream.write('', () => resolve()));

const code = await runCli(process.argv.slice(2), process.env, io);
if (code >= 0) {
  // Exiting at once would cut off what a pipe (`bi-scim audit --format json | …`) has not taken yet.
  await Promise.all([drained(process.stdout), drained(process.stderr)]);
  process.exit(code);
}
