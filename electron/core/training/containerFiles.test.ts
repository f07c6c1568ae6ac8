/**
 * Opening what a container left in a run's folder: only regular single-link files inside it are
 * read, nothing blocks, and a refusal says what the file is. (The same, made by a real container
 * and read through the app, is in electron/server/hostileRun.test.ts.)
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDirs } from '../testing/tempDirs.ts';
import { listContainerFiles, openContainerFile, readSlice, readTextStart } from './containerFiles.ts';

const dirs = tempDirs();
let root: string;
let outside: string;
let socket: net.Server | undefined;
let device = false;

beforeAll(async () => {
  outside = dirs.make();
  fs.writeFileSync(path.join(outside, 'secret.txt'), 'SECRET\n', { mode: 0o600 });
  root = dirs.make();
  fs.mkdirSync(path.join(root, 'artifacts', 'deep'), { recursive: true });
  fs.writeFileSync(path.join(root, 'artifacts', 'ok.txt'), 'fine\n');
  fs.writeFileSync(path.join(root, 'artifacts', 'deep', 'ok.txt'), 'deeper\n');
  fs.writeFileSync(path.join(root, 'failure'), `reason\n${'x'.repeat(100_000)}`);
  fs.symlinkSync(path.join(outside, 'secret.txt'), path.join(root, 'artifacts', 'leak.txt'));
  fs.symlinkSync(outside, path.join(root, 'linked'));
  fs.symlinkSync('ok.txt', path.join(root, 'artifacts', 'inside-link.txt'));
  fs.writeFileSync(path.join(root, 'artifacts', 'original.txt'), 'twice\n');
  fs.linkSync(path.join(root, 'artifacts', 'original.txt'), path.join(root, 'artifacts', 'hardlink.txt'));
  execFileSync('mkfifo', [path.join(root, 'metrics.jsonl')]);
  socket = net.createServer();
  await new Promise<void>((r) => socket!.listen(path.join(root, 'artifacts', 'sock'), r));
  try {
    execFileSync('mknod', [path.join(root, 'artifacts', 'null'), 'c', '1', '3'], { stdio: 'ignore' });
    device = true;
  } catch {
    // not root here: no device to test with
  }
});
afterAll(() => new Promise<void>((r) => (socket ? socket.close(() => r()) : r())));

function read(rel: string): string | undefined {
  const f = openContainerFile(root, rel);
  if (!f) return undefined;
  try {
    return readSlice(f, 0, 1024).toString('utf8');
  } finally {
    f.close();
  }
}

describe('opening files a container wrote', () => {
  it('reads regular files inside the folder', () => {
    expect(read('artifacts/ok.txt')).toBe('fine\n');
    expect(read('artifacts/deep/ok.txt')).toBe('deeper\n');
  });

  it('refuses links, as the file or on the way to it, even to a file inside the folder', () => {
    expect(() => read('artifacts/leak.txt')).toThrow(/^artifacts\/leak\.txt is a symbolic link/);
    expect(() => read('linked/secret.txt')).toThrow(/^linked is a symbolic link/);
    expect(() => read('artifacts/inside-link.txt')).toThrow(/is a symbolic link/);
    expect(() => read('artifacts/hardlink.txt')).toThrow(/is a hard link, one of 2 names/);
  });

  it('refuses named pipes, sockets and devices without blocking on them', () => {
    expect(() => read('metrics.jsonl')).toThrow(/is a named pipe/);
    expect(() => read('artifacts/sock')).toThrow(/is a socket/);
    if (device) expect(() => read('artifacts/null')).toThrow(/is a device/);
    expect(() => read('artifacts')).toThrow(/is a folder/);
  });

  it('finds nothing for absent files and for paths that leave the folder', () => {
    expect(read('absent')).toBeUndefined();
    expect(read('absent/deeper')).toBeUndefined();
    for (const rel of ['../x', 'artifacts/../failure', '/etc/passwd', 'artifacts//ok.txt', '', '.'])
      expect(read(rel), rel).toBeUndefined();
    expect(() => read('artifacts/ok.txt/below')).toThrow(/artifacts\/ok\.txt is not a folder|is a folder/);
  });

  it('reads only the start of a huge file when asked for its start', () => {
    expect(readTextStart(root, 'failure', 16)).toBe('reason\nxxxxxxxxx');
  });

  it('lists regular files and says what it left out, without leaving the folder', () => {
    const listing = listContainerFiles(root);
    expect(listing.files.map((f) => f.path).sort()).toEqual([
      'artifacts/deep/ok.txt',
      'artifacts/ok.txt',
      'failure',
    ]);
    const refused = Object.fromEntries(listing.refused.map((r) => [r.path, r.what]));
    expect(refused).toMatchObject({
      'artifacts/leak.txt': 'a symbolic link',
      'artifacts/inside-link.txt': 'a symbolic link',
      linked: 'a symbolic link',
      'artifacts/hardlink.txt': expect.stringMatching(/^a hard link/),
      'metrics.jsonl': 'a named pipe',
      'artifacts/sock': 'a socket',
    });
    expect(listing.truncated).toBe(false);
    expect(listContainerFiles(root, { maxEntries: 3 }).truncated).toBe(true);
    expect(listContainerFiles(root, { maxDepth: 1 }).refused).toContainEqual({
      path: 'artifacts/deep',
      what: 'a folder more than 1 deep',
    });
    expect(listContainerFiles(path.join(root, 'absent')).files).toEqual([]);
  });
});
