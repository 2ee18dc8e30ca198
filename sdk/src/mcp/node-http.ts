/** node:http ⇄ fetch Request/Response, so one web-standard handler serves node's `http.createServer` too. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readNodeBody } from '../node-body.js';

export { BodyTooLargeError } from '../node-body.js';

/** The URL is built on the configured public origin, not on the Host header a client controls. */
export async function toWebRequest(req: IncomingMessage, origin: string, maxBodyBytes: number): Promise<Request> {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else if (value !== undefined) headers.set(name, value);
  }
  const method = req.method ?? 'GET';
  const body = method === 'GET' || method === 'HEAD' ? undefined : new Uint8Array(await readNodeBody(req, maxBodyBytes));
  return new Request(new URL(req.url ?? '/', origin), { method, headers, body });
}

export async function writeNodeResponse(res: ServerResponse, response: Response): Promise<void> {
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    headers[name] = value;
  });
  res.writeHead(response.status, headers);
  if (!response.body) {
    res.end();
    return;
  }
  // Streamed, so an SSE response (if a caller enables it) is not buffered whole.
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) res.write(chunk);
  res.end();
}
