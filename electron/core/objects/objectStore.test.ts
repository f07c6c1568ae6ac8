import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDirs } from '../testing/tempDirs.ts';
import { openWorkbench } from '../workbench.ts';
import { ObjectStore } from './objectStore.ts';
import { collectGarbage } from './storeMaintenance.ts';

const dirs = tempDirs();

async function store() {
  const s = new ObjectStore(dirs.make());
  await s.init();
  return s;
}

const statOf = (file: string) => {
  const st = fs.statSync(file, { bigint: true });
  return { size: Number(st.size), mtimeNs: st.mtimeNs };
};

describe('ObjectStore', () => {
  it('stores small and streamed files under their SHA-256, once, read-only', async () => {
    const s = await store();
    const src = dirs.make();
    const big = Buffer.alloc(9 * 1024 * 1024);
    for (let i = 0; i < big.length; i += 4096) big[i] = i % 256;
    fs.writeFileSync(path.join(src, 'big'), big);
    fs.writeFileSync(path.join(src, 'small'), 'small');
    const b = s.putFileSync(path.join(src, 'big'), statOf(path.join(src, 'big')));
    expect(b).toEqual({
      sha256: createHash('sha256').update(big).digest('hex'),
      size: big.length,
      written: true,
    });
    expect(fs.readFileSync(s.pathFor(b.sha256)).equals(big)).toBe(true);
    expect(fs.statSync(s.pathFor(b.sha256)).mode & 0o222).toBe(0);
    const again = s.putFileSync(path.join(src, 'big'), statOf(path.join(src, 'big')));
    expect(again.written).toBe(false);
    const small = s.putFileSync(path.join(src, 'small'), statOf(path.join(src, 'small')));
    expect(small.sha256).toBe(createHash('sha256').update('small').digest('hex'));
    expect(fs.readdirSync(s.tmpDir)).toEqual([]);
  });

  it('refuses a file that changes while it is read, storing nothing for it', async () => {
    const s = await store();
    const src = path.join(dirs.make(), 'growing.bin');
    fs.writeFileSync(src, Buffer.alloc(32 * 1024 * 1024, 1));
    const before = statOf(src);
    let appended = false;
    let err: { code?: string; message: string } = { message: 'no error' };
    try {
      s.putFileSync(src, before, {
        onBytes: () => {
          if (!appended) {
            appended = true;
            fs.appendFileSync(src, 'more');
          }
        },
      });
    } catch (e) {
      err = e as typeof err;
    }
    expect(err.code).toBe('IO');
    expect(err.message).toMatch(/changed while it was being read/);
    expect(fs.readdirSync(s.tmpDir)).toEqual([]);
    expect(fs.existsSync(path.join(s.root))).toBe(true);
    expect(fs.readdirSync(s.root)).toEqual([]);
  });

  it('refuses a small file that grew after it was listed', async () => {
    const s = await store();
    const src = path.join(dirs.make(), 'small.txt');
    fs.writeFileSync(src, 'listed');
    const listed = statOf(src);
    fs.appendFileSync(src, ' and then some');
    expect(() => s.putFileSync(src, listed)).toThrow(/changed while it was being read/);
    expect(fs.readdirSync(s.tmpDir)).toEqual([]);
  });

  it('replaces a blob that a crash cut short instead of trusting it', async () => {
    const s = await store();
    const src = path.join(dirs.make(), 'data.bin');
    fs.writeFileSync(src, 'the whole content');
    const digest = createHash('sha256').update('the whole content').digest('hex');
    // What a power cut can leave: the rename reached the disk, the data did not.
    fs.mkdirSync(path.dirname(s.pathFor(digest)), { recursive: true });
    fs.writeFileSync(s.pathFor(digest), '');
    const before = new Date(Date.now() - 3600_000);
    fs.utimesSync(s.pathFor(digest), before, before);
    const put = s.putFileSync(src, statOf(src));
    expect(put).toMatchObject({ sha256: digest, written: true });
    expect(fs.readFileSync(s.pathFor(digest), 'utf8')).toBe('the whole content');
  });

  it("waits for another writer's small blob still being written at its name instead of replacing it", async () => {
    const s = await store();
    const content = 'a'.repeat(3000) + 'b'.repeat(3000);
    const src = path.join(dirs.make(), 'data.bin');
    fs.writeFileSync(src, content);
    const digest = createHash('sha256').update(content).digest('hex');
    const dest = s.pathFor(digest);
    // Another add made it at its name and has written half of it so far.
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.writeFileSync(dest, content.slice(0, 3000));
    const ino = fs.statSync(dest).ino;
    const writer = spawn('sh', ['-c', `sleep 0.3; printf '%s' "${content.slice(3000)}" >> "${dest}"`]);
    const ended = new Promise((r) => writer.on('exit', r));
    const put = s.putFileSync(src, statOf(src));
    await ended;
    expect(put).toMatchObject({ sha256: digest, written: false });
    expect(fs.statSync(dest).ino).toBe(ino);
    expect(fs.readFileSync(dest, 'utf8')).toBe(content);
  });
});

describe('staging files', () => {
  it('writes a small blob straight to its name and leaves nothing staged behind', async () => {
    const s = await store();
    const src = path.join(dirs.make(), 'small.txt');
    fs.writeFileSync(src, 'staged next to its blob');
    const put = s.putFileSync(src, statOf(src));
    expect(fs.readdirSync(path.dirname(s.pathFor(put.sha256)))).toEqual([put.sha256.slice(2)]);
    expect(fs.readdirSync(s.tmpDir)).toEqual([]);
  });

  it('are never listed as blobs, and gc removes those of dead processes only', async () => {
    const home = dirs.make();
    const wb = await openWorkbench(home);
    try {
      const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
      const live = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
      try {
        const shard = path.join(wb.objects.root, 'ab');
        fs.mkdirSync(shard, { recursive: true });
        const staged = {
          deadInShard: path.join(shard, `.${dead}-0000-1.part`),
          liveInShard: path.join(shard, `.${live.pid}-0000-1.part`),
          deadInTmp: path.join(wb.objects.tmpDir, `${dead}-0000-2.part`),
          liveInTmp: path.join(wb.objects.tmpDir, `${live.pid}-0000-2.part`),
        };
        for (const file of Object.values(staged)) fs.writeFileSync(file, 'half');
        const kinds = [];
        for await (const f of wb.objects.listFiles()) kinds.push(f.kind);
        expect(kinds).toEqual(['staged', 'staged', 'staged', 'staged']);

        expect(await collectGarbage(wb.db, wb.objects)).toEqual({ removed: 2, freedBytes: 8 });
        expect(fs.existsSync(staged.deadInShard)).toBe(false);
        expect(fs.existsSync(staged.deadInTmp)).toBe(false);
        expect(fs.existsSync(staged.liveInShard)).toBe(true);
        expect(fs.existsSync(staged.liveInTmp)).toBe(true);
      } finally {
        live.kill();
      }
    } finally {
      await wb.close();
    }
  });
});
