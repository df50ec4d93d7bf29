// Requests Node's HTTP parser refuses before Hono sees them (a request line or headers over 16 KiB, bad framing)
// still get a SCIM error body (design §2.8), not Node's bare 431 or 400.
import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { ScimError } from '../scim/errors.ts';
import { SCIM_CONTENT_TYPE } from './scim-json.ts';

const HEADERS_TOO_LARGE = new Set(['HPE_HEADER_OVERFLOW', 'HPE_URI_TOO_LONG']);

function reply(socket: Duplex, error: ScimError, text: string): void {
  const body = JSON.stringify(error.toJSON());
  socket.end(
    `HTTP/1.1 ${error.status} ${text}\r\ncontent-type: ${SCIM_CONTENT_TYPE}\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

/**
 * How long an answered connection keeps reading what the client still sends. Closing it with unread data would
 * reset it, and the client's kernel would drop the answer before the client read it.
 */
const LINGER_MS = 5_000;

export function answerClientErrors(server: Server): void {
  const answered = new WeakSet<Duplex>();
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    // Every later piece of the refused request fails the parser again: it is read and dropped.
    if (answered.has(socket)) return;
    if (!socket.writable || err.code === 'ECONNRESET') return void socket.destroy();
    answered.add(socket);
    if (HEADERS_TOO_LARGE.has(err.code ?? ''))
      reply(socket, new ScimError('headersTooLarge', 'The request line or headers are too large (at most 16 KiB)'), 'Request Header Fields Too Large');
    else reply(socket, new ScimError('invalidSyntax', 'The request is not valid HTTP'), 'Bad Request');
    socket.on('end', () => socket.destroy());
    setTimeout(() => socket.destroy(), LINGER_MS).unref();
  });
}
