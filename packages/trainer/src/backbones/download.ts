/**
 * Downloads one URL to a file: streamed to a temp file beside the destination, size (and
 * optional sha256) verified, then renamed, so a crash or a short read never leaves a file that
 * looks complete.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export class DownloadError extends Error {
  override name = 'DownloadError';
}

/** fetch() hides the useful part (ECONNREFUSED, ENOTFOUND...) in `cause`, sometimes an AggregateError. */
function networkReason(error: unknown): string {
  type Cause = { code?: string; message?: string; errors?: Cause[]; cause?: Cause };
  let c = (error as Cause).cause;
  while (c) {
    if (c.code) return c.code;
    const inner = c.errors?.find((e) => e.code);
    if (inner?.code) return inner.code;
    if (!c.cause) return c.message ?? String(c);
    c = c.cause;
  }
  return (error as Error).message;
}

export interface DownloadProgress {
  url: string;
  received: number;
  /** From Content-Length or `expectedBytes`, when known. */
  total?: number;
}

export interface DownloadOptions {
  expectedBytes?: number;
  sha256?: string;
  onProgress?: (progress: DownloadProgress) => void;
  /** Injected for tests; default global fetch. */
  fetch?: typeof fetch;
}

export async function downloadFile(
  url: string,
  dest: string,
  options: DownloadOptions = {},
): Promise<{ path: string; bytes: number; sha256: string }> {
  const doFetch = options.fetch ?? fetch;
  let response: Response;
  try {
    response = await doFetch(url);
  } catch (error) {
    throw new DownloadError(`cannot download ${url}: ${networkReason(error)}`);
  }
  if (!response.ok || !response.body) {
    throw new DownloadError(`cannot download ${url}: HTTP ${response.status} ${response.statusText}`);
  }
  const header = Number(response.headers.get('content-length'));
  const total = options.expectedBytes ?? (Number.isFinite(header) && header > 0 ? header : undefined);
  await mkdir(dirname(dest), { recursive: true });
  const temp = join(
    dirname(dest),
    `.${basename(dest)}.${process.pid}.${randomBytes(4).toString('hex')}.part`,
  );
  const hash = createHash('sha256');
  let received = 0;
  const out = createWriteStream(temp);
  try {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      hash.update(chunk);
      received += chunk.byteLength;
      if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
      options.onProgress?.(total === undefined ? { url, received } : { url, received, total });
    }
    await new Promise<void>((resolve, reject) =>
      out.end((error?: Error | null) => (error ? reject(error) : resolve())),
    );
    if (options.expectedBytes !== undefined && received !== options.expectedBytes) {
      throw new DownloadError(`download of ${url} has ${received} bytes, expected ${options.expectedBytes}`);
    }
    if (Number.isFinite(header) && header > 0 && received !== header) {
      throw new DownloadError(`download of ${url} was cut short: ${received} of ${header} bytes`);
    }
    const digest = hash.digest('hex');
    if (options.sha256 && digest !== options.sha256.toLowerCase()) {
      throw new DownloadError(`download of ${url} has sha256 ${digest}, expected ${options.sha256}`);
    }
    await rename(temp, dest);
    return { path: dest, bytes: received, sha256: digest };
  } catch (error) {
    out.destroy();
    await rm(temp, { force: true });
    if (error instanceof DownloadError) throw error;
    throw new DownloadError(`cannot download ${url}: ${(error as Error).message}`);
  }
}

/** A one-line progress bar for TTYs (`\r`-rewritten), or nothing when not a TTY. */
export function progressBar(stream: NodeJS.WriteStream = process.stderr): (p: DownloadProgress) => void {
  let last = 0;
  return (p) => {
    if (!stream.isTTY) return;
    const now = Date.now();
    if (now - last < 100 && p.received !== p.total) return;
    last = now;
    const mb = (n: number) => (n / 1e6).toFixed(1);
    const name = basename(new URL(p.url).pathname);
    if (p.total) {
      const f = Math.min(1, p.received / p.total);
      const bar = '#'.repeat(Math.round(f * 30)).padEnd(30, '.');
      stream.write(`\r  ${name} [${bar}] ${mb(p.received)}/${mb(p.total)} MB`);
    } else stream.write(`\r  ${name} ${mb(p.received)} MB`);
    if (p.total && p.received >= p.total) stream.write('\n');
  };
}
