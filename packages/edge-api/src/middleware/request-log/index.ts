/**
 * One structured log record per request, written after every other handler (errors included,
 * with their final status). Handlers add fields with `c.get('log')`; nothing in a record is user
 * content: the matched route pattern, never the URL.
 */
import type { MiddlewareHandler } from 'hono';

export interface RequestLog {
  method: string;
  route: string;
  status: number;
  ms: number;
  request_bytes?: number;
  image?: { format: string; width: number; height: number };
  timing_ms?: { decode: number; preprocess: number; inference: number } | null;
  error?: string;
}

export type RequestLogEnv = { Variables: { log: Partial<RequestLog> } };

const now = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());

export function requestLog(sink: (record: RequestLog) => void): MiddlewareHandler<RequestLogEnv> {
  return async (c, next) => {
    const start = now();
    c.set('log', {});
    await next();
    const record: RequestLog = {
      method: c.req.method,
      route: c.req.routePath === '*' || c.req.routePath === '/*' ? 'unmatched' : c.req.routePath,
      status: c.res.status,
      ms: Math.round((now() - start) * 100) / 100,
      ...c.get('log'),
    };
    try {
      sink(record);
    } catch {
      // A broken log sink must never fail the request.
    }
  };
}
