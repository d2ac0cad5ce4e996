/**
 * The page's tests serve their builds as `npm run demo` serves the page: @ferry/edge-api's
 * serveStaticSite on 127.0.0.1 (a real HTTP origin, so the service worker and fetch behave as on
 * a host). `overrides` maps URL paths to files outside the root, read on every request.
 */
import { type StaticSite, serveStaticSite } from '@ferry/edge-api/node';

export type StaticServer = StaticSite;

export function serveStatic(root: string, overrides = new Map<string, string>()): Promise<StaticServer> {
  return serveStaticSite({ root, overrides });
}
