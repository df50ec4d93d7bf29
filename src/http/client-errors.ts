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

export function answerClientErrors(server: Server): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (!socket.writable || err.code === 'ECONNRESET') return void socket.destroy();
    if (HEADERS_TOO_LARGE.has(err.code ?? ''))
      reply(socket, new ScimError('headersTooLarge', 'The request line or headers are too large (at most 16 KiB)'), 'Request Header Fields Too Large');
    else reply(socket, new ScimError('invalidSyntax', 'The request is not valid HTTP'), 'Bad Request');
  });
}
