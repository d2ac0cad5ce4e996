import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Writes a file so that readers see either the old content or the whole new content, never a
 * half-written file: write a temp file beside it, then rename (atomic on POSIX filesystems).
 */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  /** false: the caller knows the directory exists (the feature cache writes ~1,000 files a run). */
  createDir = true,
): Promise<void> {
  if (createDir) await mkdir(dirname(path), { recursive: true });
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeFile(temp, data);
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
