/**
 * A chosen or dropped folder as `ferry train --data` reads a directory: `DIR/<class>/<photo>`, or
 * `DIR/train/<class>/...` with `DIR/val/<class>/...`. Hidden files and folders are passed over as
 * the CLI passes over them; everything else that is not a photo in a class folder is reported.
 */
import { isPhotoFileName } from '@ferry/model';

export interface FolderFile {
  /** `DIR/class/photo.jpg`, '/'-separated, as `webkitRelativePath` gives it. */
  path: string;
  file: File;
}

export interface FolderPhoto extends FolderFile {
  className: string;
  split?: 'train' | 'val';
}

export interface FolderListing {
  root: string;
  photos: FolderPhoto[];
  /** Files left out, each with the reason. */
  skipped: { path: string; reason: string }[];
}

const hidden = (segments: string[]) => segments.some((s) => s.startsWith('.'));

export function listFolder(files: readonly FolderFile[]): FolderListing {
  const visible = files.filter((f) => !hidden(f.path.split('/')));
  const root = visible[0]?.path.split('/')[0] ?? '';
  const at = (f: FolderFile) => f.path.split('/');
  const hasSplit =
    visible.some((f) => at(f)[1] === 'train' && at(f).length === 4) &&
    visible.some((f) => at(f)[1] === 'val' && at(f).length === 4);
  const photos: FolderPhoto[] = [];
  const skipped: FolderListing['skipped'] = [];
  for (const f of visible) {
    const s = at(f);
    const name = s.at(-1)!;
    const depth = hasSplit ? 4 : 3;
    if (s.length !== depth || (hasSplit && s[1] !== 'train' && s[1] !== 'val')) {
      skipped.push({
        path: f.path,
        reason: hasSplit ? 'not in a train/<class>/ or val/<class>/ folder' : 'not in a class folder',
      });
      continue;
    }
    if (!isPhotoFileName(name)) {
      skipped.push({ path: f.path, reason: 'not a photo (JPEG, PNG, WebP, GIF, TIFF or AVIF)' });
      continue;
    }
    photos.push({
      ...f,
      className: hasSplit ? s[2]! : s[1]!,
      ...(hasSplit ? { split: s[1] as 'train' | 'val' } : {}),
    });
  }
  return { root, photos, skipped };
}

/** The files of an `<input type=file webkitdirectory>`. */
export function filesOfInput(input: HTMLInputElement): FolderFile[] {
  return Array.from(input.files ?? [], (file) => ({ path: file.webkitRelativePath || file.name, file }));
}

/** The files under the folders of a drop (the File System entries API, read recursively). */
export async function filesOfDrop(items: DataTransferItemList): Promise<FolderFile[]> {
  const entries = Array.from(items, (i) => i.webkitGetAsEntry()).filter((e): e is FileSystemEntry => !!e);
  const out: FolderFile[] = [];
  const walk = async (entry: FileSystemEntry, path: string): Promise<void> => {
    if (entry.isFile) {
      const file = await new Promise<File>((resolve, reject) =>
        (entry as FileSystemFileEntry).file(resolve, reject),
      );
      out.push({ path, file });
      return;
    }
    const reader = (entry as FileSystemDirectoryEntry).createReader();
    // readEntries answers in chunks (100 in Chromium) until it answers an empty list.
    for (;;) {
      const chunk = await new Promise<FileSystemEntry[]>((resolve, reject) =>
        reader.readEntries(resolve, reject),
      );
      if (chunk.length === 0) break;
      for (const child of chunk) await walk(child, `${path}/${child.name}`);
    }
  };
  for (const entry of entries) await walk(entry, entry.name);
  return out;
}
