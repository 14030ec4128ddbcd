// Plain HTTP endpoints served on the WebSocket port (/healthz, /, /api/...). Handlers get a
// request copied out of uWS (safe to keep across awaits) and return a whole response.

export interface HttpRequestInfo {
  method: string;
  path: string;
  query: string;
  headers: Record<string, string>;
}

export interface HttpReply {
  status: number;
  headers?: Record<string, string>;
  body: string | Uint8Array;
}

export interface HttpRoute {
  method: 'get' | 'post' | 'any';
  /** uWS pattern: exact path, or a prefix ending in `/*`. */
  path: string;
  handle(request: HttpRequestInfo): HttpReply | Promise<HttpReply>;
}

const STATUS_TEXT: Record<number, string> = {
  200: '200 OK',
  204: '204 No Content',
  400: '400 Bad Request',
  404: '404 Not Found',
  405: '405 Method Not Allowed',
  500: '500 Internal Server Error',
  503: '503 Service Unavailable',
};

export function statusLine(status: number): string {
  return STATUS_TEXT[status] ?? `${status} Status`;
}

export function json(status: number, body: unknown): HttpReply {
  return { status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}
