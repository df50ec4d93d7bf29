// Entry point (`npm start`, `bi-scim`): the only place that reads process.env and argv; -1 means "keep serving".
import { runCli } from './cli.ts';

const io = { out: (line: string) => process.stdout.write(`${line}\n`), err: (line: string) => process.stderr.write(`${line}\n`) };
const code = await runCli(process.argv.slice(2), process.env, io);
if (code >= 0) process.exit(code);
