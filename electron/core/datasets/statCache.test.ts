import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Db, openDatabase } from '../store/database.ts';
import { tempDirs } from '../testing/tempDirs.ts';
import { StatCache, type StatKey } from './statCache.ts';

const dirs = tempDirs();
let dir: string;
let db: Db;
beforeEach(() => {
  dir = dirs.make();
  db = openDatabase(path.join(dir, 'store.db'));
});
afterEach(() => {
  db.close();
});

const key = (absPath: string, size = 10): StatKey => ({ absPath, size, mtimeNs: 5n, ino: 7n });
const sha = (i: number) => i.toString(16).padStart(64, '0');
const digests = (hits: ({ sha256: string } | undefined)[]) => hits.map((h) => h?.sha256);

describe('StatCache.lookupMany', () => {
  it('finds many files under one folder, and only those that are unchanged', () => {
    const cache = new StatCache(db);
    const inside = Array.from({ length: 100 }, (_, i) => key(`/data/src/d${i % 7}/f${i}.csv`));
    // A sibling whose name starts with the folder's name must not be taken for one of its files.
    const sibling = key('/data/src2/d0/f0.csv');
    cache.rememberMany([...inside, sibling].map((k, i) => ({ key: k, sha256: sha(i) })));

    const asked = inside.map((k, i) => (i === 3 ? { ...k, size: 11 } : i === 4 ? { ...k, mtimeNs: 6n } : k));
    asked.push(key('/data/src/new.csv'));
    const found = digests(cache.lookupMany(asked));
    expect(found.slice(0, 3)).toEqual([sha(0), sha(1), sha(2)]);
    expect(found[3]).toBeUndefined(); // size changed
    expect(found[4]).toBeUndefined(); // modified
    expect(found[99]).toBe(sha(99));
    expect(found[100]).toBeUndefined(); // never seen
    expect(cache.lookupMany([sibling, ...inside.slice(0, 70)])[0]?.sha256).toBe(sha(100));
  });

  it('agrees with one-by-one lookups when the files share no folder but the root', () => {
    const cache = new StatCache(db);
    const keys = Array.from({ length: 80 }, (_, i) => key(`/r${i}/f.bin`));
    cache.rememberMany(keys.map((k, i) => ({ key: k, sha256: sha(i) })));
    expect(cache.lookupMany(keys)).toEqual(keys.map((k) => cache.lookup(k)));
    expect(cache.lookupMany(keys)[79]?.sha256).toBe(sha(79));
  });

  it('falls back to one query per file when the shared folder holds many more remembered files', () => {
    const cache = new StatCache(db);
    const others = Array.from({ length: 3000 }, (_, i) => key(`/data/z-other/f${i}`));
    const asked = Array.from({ length: 70 }, (_, i) => key(`/data/${i % 2 ? 'a' : 'b'}/f${i}`));
    cache.rememberMany([...others, ...asked].map((k, i) => ({ key: k, sha256: sha(i) })));
    const found = digests(cache.lookupMany(asked));
    expect(found).toEqual(asked.map((_, i) => sha(3000 + i)));
  });

  it('says which hits name a committed blob, in a range read and one by one', () => {
    const cache = new StatCache(db);
    const keys = Array.from({ length: 100 }, (_, i) => key(`/data/src/f${i}`));
    cache.rememberMany(keys.map((k, i) => ({ key: k, sha256: sha(i) })));
    db.prepare('INSERT INTO blobs (sha256, size, created_at) VALUES (?, 10, 0)').run(sha(1));
    const many = cache.lookupMany(keys);
    expect(many[0]).toEqual({ sha256: sha(0), committed: false });
    expect(many[1]).toEqual({ sha256: sha(1), committed: true });
    expect(cache.lookup(keys[1]!)).toEqual({ sha256: sha(1), committed: true });
    expect(cache.lookup(keys[2]!)).toEqual({ sha256: sha(2), committed: false });
  });

  it('knows whether a folder was added before', () => {
    const cache = new StatCache(db);
    const src = path.join(dir, 'src');
    fs.mkdirSync(path.join(src, 'sub'), { recursive: true });
    fs.mkdirSync(path.join(dir, 'src2'));
    expect(cache.knowsAnyUnder([src])).toBe(false);
    cache.rememberMany([{ key: key(path.join(fs.realpathSync(src), 'sub', 'a.csv')), sha256: sha(1) }]);
    expect(cache.knowsAnyUnder([src])).toBe(true);
    expect(cache.knowsAnyUnder([path.join(dir, 'src2')])).toBe(false);
  });
});
