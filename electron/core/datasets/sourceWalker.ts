/**
 * Lists what a user dropped: files and folders become manifest paths.
 *
 * - One folder dropped alone: its contents are the version's root. Several items: each goes in
 *   under its own name.
 * - Symbolic links are followed only when their target stays inside the dropped folder; links that
 *   leave it, dangle, or loop back into a folder being walked are skipped with a warning.
 * - Paths are relative, POSIX, normalized, and can never escape the version root.
 */
import type { Stats } from 'node:fs';
import fsSync from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { describeSystemError, invalidInput, notFound, WorkbenchError } from '../errors.ts';

export interface SourceFile {
  absPath: string;
  relPath: string;
  size: number;
  mtimeNs: bigint;
  ino: bigint;
  mode: number;
}

export interface WalkResult {
  files: SourceFile[];
  warnings: string[];
  bytes: number;
}

export interface WalkOptions {
  signal?: AbortSignal;
  /** Files as they are listed (a folder's at a time), before the walk ends and sorts them all. */
  onListed?: (files: SourceFile[]) => void;
}

export async function walkSources(inputs: string[], opts: WalkOptions = {}): Promise<WalkResult> {
  if (inputs.length === 0) throw invalidInput('Nothing to add: give at least one file or folder.');
  const files: SourceFile[] = [];
  const warnings: string[] = [];
  const resolved = await Promise.all(
    inputs.map(async (p) => ({ input: p, abs: path.resolve(p), st: await statInput(p) })),
  );
  const single = resolved.length === 1 && resolved[0]!.st.isDirectory();

  for (const { abs, st } of resolved) {
    if (st.isDirectory()) {
      const root = await fs.realpath(abs);
      const prefix = single ? '' : normalizeRelPath(path.basename(abs));
      await walkDir({ root, dir: root, rel: prefix, ancestors: new Set([root]), files, warnings, opts });
    } else if (st.isFile()) {
      const file = await toSourceFile(abs, path.basename(abs));
      files.push(file);
      opts.onListed?.([file]);
    } else {
      throw invalidInput(`${abs} is neither a file nor a folder (sockets and devices cannot be versioned).`);
    }
  }
  if (files.length === 0) {
    throw invalidInput(
      `Nothing to add: ${inputs.length === 1 ? `the folder ${inputs[0]} is empty` : 'the folders given are empty'}. Add files to it first.`,
    );
  }
  files.sort((a, b) => (a.relPath < b.relPath ? -1 : a.relPath > b.relPath ? 1 : 0));
  for (let i = 1; i < files.length; i++) {
    if (files[i]!.relPath === files[i - 1]!.relPath) {
      throw invalidInput(
        `Two inputs would both be stored as "${files[i]!.relPath}" (${files[i - 1]!.absPath} and ${files[i]!.absPath}). Rename one or put them in separate folders.`,
      );
    }
  }
  return { files, warnings, bytes: files.reduce((n, f) => n + f.size, 0) };
}

async function statInput(p: string): Promise<Stats> {
  try {
    const st = await fs.stat(p);
    await fs.access(p, fs.constants.R_OK);
    return st;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT')
      throw notFound(`${p} does not exist. Check the path and try again.`, { path: p });
    throw new WorkbenchError('IO', `Cannot read ${p}: ${describeSystemError(e)}`, { path: p });
  }
}

interface WalkState {
  root: string;
  dir: string;
  rel: string;
  ancestors: Set<string>;
  files: SourceFile[];
  warnings: string[];
  opts: WalkOptions;
}

/** The walk is synchronous file by file; the event loop gets a turn at least this often. */
const YIELD_EVERY_MS = 10;
let lastYield = Date.now();

async function walkDir(s: WalkState): Promise<void> {
  if (s.opts.signal?.aborted) throw new WorkbenchError('CANCELLED', 'The operation was cancelled.');
  let entries: import('node:fs').Dirent[];
  try {
    entries = fsSync.readdirSync(s.dir, { withFileTypes: true });
  } catch (err) {
    throw new WorkbenchError(
      'IO',
      `Cannot list ${s.dir}: ${describeSystemError(err as NodeJS.ErrnoException)}`,
    );
  }
  // Regular files of one folder are stat'ed synchronously — a stat is microseconds, a thread-pool
  // round trip is not — and the event loop gets a turn between folders.
  // A name that is not valid UTF-8 comes back with U+FFFD in it and cannot be opened by that
  // string: it is skipped (and named, escaped) rather than failing the whole add.
  if (entries.some((e) => e.name.includes('\uFFFD'))) entries = dropUndecodable(s, entries);
  // `dir` is absolute and normalized, so a file's absolute path is a plain concatenation
  // (path.join normalizes every time).
  const plain = entries.filter((e) => e.isFile());
  const base = s.dir.endsWith(path.sep) ? s.dir : s.dir + path.sep;
  const listed: SourceFile[] = [];
  for (const e of plain) {
    const rel = relPathOf(s, e.name);
    if (rel !== undefined) listed.push(statSourceFile(base + e.name, rel));
  }
  if (listed.length) {
    for (const f of listed) s.files.push(f);
    s.opts.onListed?.(listed);
  }
  if (Date.now() - lastYield > YIELD_EVERY_MS) {
    await new Promise((r) => setImmediate(r));
    lastYield = Date.now();
  }
  for (const entry of entries) {
    if (entry.isFile()) continue;
    const abs = path.join(s.dir, entry.name);
    const rel = relPathOf(s, entry.name);
    if (rel === undefined) continue;
    if (entry.isSymbolicLink()) {
      await followLink(s, abs, rel);
    } else if (entry.isDirectory()) {
      await walkDir({ ...s, dir: abs, rel, ancestors: new Set([...s.ancestors, abs]) });
    } else {
      s.warnings.push(`Skipped ${rel}: not a regular file or folder.`);
    }
  }
}

/**
 * The manifest path of a listed name. `rel` is normalized already and a listed name is one segment
 * (never "." or ".."), so the joined path needs normalizing only when the name holds a backslash;
 * one that then climbs out (`..\\x`) is skipped with a warning.
 */
function relPathOf(s: WalkState, name: string): string | undefined {
  const joined = s.rel ? `${s.rel}/${name}` : name;
  if (!name.includes('\\')) return joined;
  try {
    return normalizeRelPath(joined);
  } catch {
    s.warnings.push(`Skipped ${JSON.stringify(joined)}: its name would leave the dataset's folder.`);
    return undefined;
  }
}

/** The entries whose names decode to the bytes on disk; the others are reported by escaped name. */
function dropUndecodable(s: WalkState, entries: import('node:fs').Dirent[]): import('node:fs').Dirent[] {
  const raw = fsSync.readdirSync(s.dir, { encoding: 'buffer' });
  const bad = new Set<string>();
  for (const name of raw) {
    const text = name.toString('utf8');
    if (!Buffer.from(text, 'utf8').equals(name)) {
      bad.add(text);
      const shown = s.rel ? `${s.rel}/${escapeBytes(name)}` : escapeBytes(name);
      s.warnings.push(`Skipped ${shown}: its name is not valid UTF-8. Rename it to add it.`);
    }
  }
  return entries.filter((e) => !bad.has(e.name));
}

/** A file name's bytes, printable ASCII as is and anything else as \xNN. */
function escapeBytes(name: Buffer): string {
  let out = '';
  for (const b of name)
    out +=
      b >= 0x20 && b < 0x7f && b !== 0x5c ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`;
  return out;
}

async function followLink(s: WalkState, abs: string, rel: string): Promise<void> {
  let target: string;
  try {
    target = await fs.realpath(abs);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    s.warnings.push(
      code === 'ELOOP'
        ? `Skipped ${rel}: the symbolic link loops back on itself.`
        : `Skipped ${rel}: the symbolic link points to nothing.`,
    );
    return;
  }
  if (target !== s.root && !target.startsWith(s.root + path.sep)) {
    s.warnings.push(`Skipped ${rel}: the symbolic link points outside the dropped folder (${target}).`);
    return;
  }
  const st = await fs.stat(target);
  if (st.isDirectory()) {
    if (s.ancestors.has(target)) {
      s.warnings.push(`Skipped ${rel}: the symbolic link loops back to a folder that contains it.`);
      return;
    }
    await walkDir({ ...s, dir: target, rel, ancestors: new Set([...s.ancestors, target]) });
  } else if (st.isFile()) {
    const file = await toSourceFile(target, rel);
    s.files.push(file);
    s.opts.onListed?.([file]);
  } else {
    s.warnings.push(`Skipped ${rel}: not a regular file or folder.`);
  }
}

function statSourceFile(absPath: string, relPath: string): SourceFile {
  let st: import('node:fs').BigIntStats;
  try {
    st = fsSync.statSync(absPath, { bigint: true });
  } catch (err) {
    throw new WorkbenchError(
      'IO',
      `Cannot read ${absPath}: ${describeSystemError(err as NodeJS.ErrnoException)}`,
    );
  }
  return {
    absPath,
    relPath,
    size: Number(st.size),
    mtimeNs: st.mtimeNs,
    ino: st.ino,
    mode: Number(st.mode) & 0o777,
  };
}

async function toSourceFile(absPath: string, relPath: string): Promise<SourceFile> {
  const st = await fs.stat(absPath, { bigint: true });
  return {
    absPath,
    relPath: normalizeRelPath(relPath),
    size: Number(st.size),
    mtimeNs: st.mtimeNs,
    ino: st.ino,
    mode: Number(st.mode) & 0o777,
  };
}

/** A manifest path: relative, POSIX separators, no empty, "." or ".." segments. */
export function normalizeRelPath(p: string): string {
  const parts = p.split(/[\\/]+/).filter((x) => x !== '' && x !== '.');
  if (parts.length === 0 || parts.includes('..'))
    throw invalidInput(`"${p}" is not a valid path inside a dataset.`);
  return parts.join('/');
}
