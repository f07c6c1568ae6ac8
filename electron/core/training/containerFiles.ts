/**
 * Opening a file a run's container wrote, safely: the one way every reader of a run's folder
 * (artifacts, the model, the failure file, metrics.jsonl, the log) opens what is there.
 *
 * A container runs code the user did not write, and its output folder is shared with the host,
 * so it can leave there symbolic links (to host files only root may read), hard links, named
 * pipes (whose open() waits for a writer forever), devices, sockets, and files of any size.
 * Whatever it left:
 * - Nothing outside the folder is read. No component of the path is followed if it is a link.
 *   On Linux each component is opened relative to the one before it, with O_PATH | O_NOFOLLOW,
 *   through /proc/self/fd (Node's stand-in for openat): a link swapped in while the path is
 *   walked is not followed either, and O_PATH opens nothing (no device's open, no pipe's wait)
 *   until the file is known to be regular. Elsewhere each component is lstat'ed and the file
 *   opened (O_NOFOLLOW) must be the one lstat saw; a container racing the walk could still
 *   slip a link into a parent folder there.
 * - Nothing blocks: files are opened O_NONBLOCK, and only regular files with a single link
 *   are read (fstat of what was opened, not of the path).
 * - Nothing is read whole: callers read bounded slices (readSlice, readTextStart).
 * What is refused is refused with a message that says what the file is and why.
 */
import fs from 'node:fs';
import path from 'node:path';
import { invalidInput, WorkbenchError } from '../errors.ts';

const { O_RDONLY, O_NOFOLLOW, O_NONBLOCK, O_NOCTTY, O_DIRECTORY } = fs.constants;
/** Linux's O_PATH, which fs.constants lacks (the same value on x86-64 and arm64). */
const O_PATH = 0o10000000;
const VIA_PROC =
  process.platform === 'linux' && (process.arch === 'x64' || process.arch === 'arm64') && hasProcFd();

function hasProcFd(): boolean {
  try {
    return fs.statSync('/proc/self/fd').isDirectory();
  } catch {
    return false;
  }
}

/** A regular file of the run's, open for reading; `size` is its size when it was opened. */
export interface ContainerFile {
  readonly fd: number;
  readonly size: number;
  close(): void;
}

/** What a file is when it is not something the workbench reads; undefined for a plain file. */
function whyNot(st: fs.Stats): string | undefined {
  if (st.isSymbolicLink()) return 'a symbolic link';
  if (st.isFIFO()) return 'a named pipe';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  if (st.isDirectory()) return 'a folder';
  if (!st.isFile()) return 'not a regular file';
  if (st.nlink > 1) return `a hard link, one of ${st.nlink} names of the same file`;
  return undefined;
}

export function refusedFile(rel: string, what: string): WorkbenchError {
  return invalidInput(
    `${rel} is ${what}: the workbench reads only the regular files a run writes, since anything else could reach outside the run or hang the reader.`,
    { refused: rel, what },
  );
}

/** The path's parts, or undefined when it is not a plain relative path (.., absolute, empty parts). */
function partsOf(rel: string): string[] | undefined {
  const parts = rel.split('/');
  if (parts.some((p) => p === '' || p === '.' || p === '..' || p.includes('\0'))) return undefined;
  return parts;
}

const isCode = (err: unknown, ...codes: string[]) =>
  codes.includes((err as NodeJS.ErrnoException).code ?? '');

/** A folder under the root, held open (Linux) or checked by lstat (elsewhere). */
interface Dir {
  /** The path of an entry of this folder, resolved in this very folder. */
  at(name: string): string;
  close(): void;
}

function openRoot(root: string): Dir | undefined {
  if (!VIA_PROC) {
    const st = fs.lstatSync(root, { throwIfNoEntry: false });
    if (!st) return undefined;
    if (!st.isDirectory()) throw refusedFile(root, whyNot(st) ?? 'not a folder');
    return { at: (name) => path.join(root, name), close() {} };
  }
  let fd: number;
  try {
    fd = fs.openSync(root, O_PATH | O_DIRECTORY | O_NOFOLLOW);
  } catch (err) {
    if (isCode(err, 'ENOENT')) return undefined;
    if (isCode(err, 'ENOTDIR', 'ELOOP')) throw refusedFile(root, 'not a folder');
    throw err;
  }
  return procDir(fd);
}

function procDir(fd: number): Dir {
  return { at: (name) => `/proc/self/fd/${fd}/${name}`, close: () => fs.closeSync(fd) };
}

/** The subfolder `name` of `dir` (`rel` names it in messages); undefined when absent. */
function openSubdir(dir: Dir, name: string, rel: string): Dir | undefined {
  const at = dir.at(name);
  if (!VIA_PROC) {
    const st = fs.lstatSync(at, { throwIfNoEntry: false });
    if (!st) return undefined;
    if (!st.isDirectory()) throw refusedFile(rel, whyNot(st) ?? 'not a folder');
    return { at: (n) => path.join(at, n), close() {} };
  }
  try {
    return procDir(fs.openSync(at, O_PATH | O_DIRECTORY | O_NOFOLLOW));
  } catch (err) {
    if (isCode(err, 'ENOENT')) return undefined;
    if (!isCode(err, 'ENOTDIR', 'ELOOP')) throw err;
    const st = fs.lstatSync(at, { throwIfNoEntry: false });
    if (!st) return undefined;
    throw refusedFile(rel, whyNot(st) ?? 'not a folder');
  }
}

/** The regular file `name` of `dir`, open for reading; undefined when absent. */
function openFileIn(dir: Dir, name: string, rel: string): ContainerFile | undefined {
  const at = dir.at(name);
  if (VIA_PROC) {
    let handle: number;
    try {
      // Opens nothing yet: a handle on whatever is there, a link itself included.
      handle = fs.openSync(at, O_PATH | O_NOFOLLOW);
    } catch (err) {
      if (isCode(err, 'ENOENT')) return undefined;
      throw err;
    }
    try {
      const st = fs.fstatSync(handle);
      const why = whyNot(st);
      if (why) throw refusedFile(rel, why);
      // Reopening the handle's magic link opens that very inode, with no path walked again.
      return opened(fs.openSync(`/proc/self/fd/${handle}`, O_RDONLY | O_NONBLOCK | O_NOCTTY), st, rel);
    } finally {
      fs.closeSync(handle);
    }
  }
  const st = fs.lstatSync(at, { throwIfNoEntry: false });
  if (!st) return undefined;
  const why = whyNot(st);
  if (why) throw refusedFile(rel, why);
  let fd: number;
  try {
    fd = fs.openSync(at, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
  } catch (err) {
    if (isCode(err, 'ELOOP')) throw refusedFile(rel, 'a symbolic link');
    if (isCode(err, 'ENOENT')) return undefined;
    throw err;
  }
  return opened(fd, st, rel);
}

/** Checks that what is open is the regular file seen before it was opened. */
function opened(fd: number, seen: fs.Stats, rel: string): ContainerFile {
  const st = fs.fstatSync(fd);
  const why =
    whyNot(st) ?? (st.ino !== seen.ino || st.dev !== seen.dev ? 'replaced while it was opened' : undefined);
  if (why) {
    fs.closeSync(fd);
    throw refusedFile(rel, why);
  }
  let closed = false;
  return {
    fd,
    size: st.size,
    close() {
      if (closed) return;
      closed = true;
      fs.closeSync(fd);
    },
  };
}

/**
 * Opens `rel` (a /-separated path) under the run's folder `root`, never following a link and
 * never blocking. Undefined when nothing is there, or when `rel` is not a path inside `root`;
 * throws INVALID_INPUT, saying what it is, when something other than a single-link regular file
 * is there (or on the way there).
 */
export function openContainerFile(root: string, rel: string): ContainerFile | undefined {
  const parts = partsOf(rel);
  if (!parts) return undefined;
  let dir = openRoot(root);
  try {
    for (let i = 0; dir && i < parts.length - 1; i++) {
      const next = openSubdir(dir, parts[i]!, parts.slice(0, i + 1).join('/'));
      dir.close();
      dir = next;
    }
    return dir && openFileIn(dir, parts.at(-1)!, rel);
  } finally {
    dir?.close();
  }
}

/** Up to `maxBytes` of the open file from byte `from` (its size when opened bounds the read). */
export function readSlice(file: ContainerFile, from: number, maxBytes: number): Buffer {
  const buf = Buffer.alloc(Math.max(0, Math.min(maxBytes, file.size - from)));
  let n = 0;
  while (n < buf.length) {
    const got = fs.readSync(file.fd, buf, n, buf.length - n, from + n);
    if (got === 0) break;
    n += got;
  }
  return buf.subarray(0, n);
}

/** The first `maxBytes` of a small text file (the failure file); undefined when absent. */
export function readTextStart(root: string, rel: string, maxBytes: number): string | undefined {
  const file = openContainerFile(root, rel);
  if (!file) return undefined;
  try {
    return readSlice(file, 0, maxBytes).toString('utf8');
  } finally {
    file.close();
  }
}

/** What a run's folder holds: its regular files, and what was left out and why. */
export interface ContainerListing {
  files: { path: string; size: number }[];
  refused: { path: string; what: string }[];
  /** More entries than are listed: the walk stopped. */
  truncated: boolean;
}

/**
 * Every regular single-link file under `root`, without following links (a listing never leaves
 * the folder either): at most `maxEntries` entries are looked at (then `truncated`), and folders
 * more than `maxDepth` deep are left out.
 */
export function listContainerFiles(
  root: string,
  opts: { maxEntries?: number; maxDepth?: number } = {},
): ContainerListing {
  const maxEntries = opts.maxEntries ?? 10_000;
  const maxDepth = opts.maxDepth ?? 32;
  const out: ContainerListing = { files: [], refused: [], truncated: false };
  let seen = 0;
  const walk = (dir: Dir, prefix: string, depth: number) => {
    let handle: fs.Dir;
    try {
      // Read a batch at a time: a folder of a million entries costs what is listed, not a million names.
      handle = fs.opendirSync(dir.at('.'));
    } catch {
      return;
    }
    try {
      for (let entry = handle.readSync(); entry; entry = handle.readSync()) {
        if (++seen > maxEntries) {
          out.truncated = true;
          return;
        }
        visit(dir, entry.name, prefix, depth);
        if (out.truncated) return;
      }
    } finally {
      handle.closeSync();
    }
  };
  const visit = (dir: Dir, name: string, prefix: string, depth: number) => {
    const rel = prefix ? `${prefix}/${name}` : name;
    const st = fs.lstatSync(dir.at(name), { throwIfNoEntry: false });
    if (!st) return;
    const why = whyNot(st);
    if (why && !st.isDirectory()) {
      out.refused.push({ path: rel, what: why });
      return;
    }
    if (!st.isDirectory()) {
      out.files.push({ path: rel, size: st.size });
      return;
    }
    if (depth >= maxDepth) {
      out.refused.push({ path: rel, what: `a folder more than ${maxDepth} deep` });
      return;
    }
    let sub: Dir | undefined;
    try {
      sub = openSubdir(dir, name, rel);
    } catch (err) {
      if (!(err instanceof WorkbenchError)) throw err;
      // Replaced by something else since lstat saw a folder.
      out.refused.push({ path: rel, what: (err.details as { what: string }).what });
    }
    if (!sub) return;
    try {
      walk(sub, rel, depth + 1);
    } finally {
      sub.close();
    }
  };
  const dir = openRoot(root);
  if (!dir) return out;
  try {
    walk(dir, '', 0);
  } finally {
    dir.close();
  }
  return out;
}
