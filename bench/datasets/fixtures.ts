/** Benchmark inputs, written to a scratch folder outside the repository. */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** Unique, incompressible content without paying for randomBytes on every byte. */
function uniqueBlock(seedBlock: Buffer, n: number): Buffer {
  const b = Buffer.from(seedBlock);
  b.writeUInt32LE(n, 0);
  b.writeUInt32LE((n ^ 0x9e3779b9) >>> 0, b.length - 4);
  return b;
}

export function writeBigFile(file: string, bytes: number, tag: number): void {
  const seed = randomBytes(4 * 1024 * 1024);
  const fd = fs.openSync(file, 'w');
  try {
    for (let off = 0, n = tag * 1_000_000; off < bytes; off += seed.length, n++) {
      const block = uniqueBlock(seed, n);
      fs.writeSync(fd, block, 0, Math.min(block.length, bytes - off));
    }
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * The ingest benchmark's folder (issue 8): 8 files of 100 MiB and 16,000 files of 1–20 KB in 100
 * folders, about 0.95 GiB. Incompressible and all distinct, so nothing deduplicates.
 */
export function writeIngestFolder(dir: string): { files: number; bytes: number } {
  fs.mkdirSync(dir, { recursive: true });
  let bytes = 0;
  for (let i = 0; i < 8; i++) {
    writeBigFile(path.join(dir, `large-${i}.bin`), 100 * 1024 * 1024, i + 1);
    bytes += 100 * 1024 * 1024;
  }
  const small = writeSmallFiles(path.join(dir, 'small'), 16_000);
  return { files: 8 + small.files, bytes: bytes + small.bytes };
}

/** `count` files of 1–20 KB in 100 folders. */
export function writeSmallFiles(dir: string, count: number): { files: number; bytes: number } {
  const pool = randomBytes(32 * 1024);
  let bytes = 0;
  for (let i = 0; i < count; i++) {
    const sub = path.join(dir, `d${i % 100}`);
    if (i < 100) fs.mkdirSync(sub, { recursive: true });
    const size = 1000 + ((i * 104729) % 19_001);
    const content = Buffer.concat([
      Buffer.from(`${i};`),
      pool.subarray(i % 4096, (i % 4096) + size),
    ]).subarray(0, size);
    fs.writeFileSync(path.join(sub, `f${i}.txt`), content);
    bytes += size;
  }
  return { files: count, bytes };
}
