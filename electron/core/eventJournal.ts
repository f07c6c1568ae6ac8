/**
 * Events across processes. Every process that opens a home writes what it announces — which
 * entities changed, and alerts a check fired or resolved — to the store's `event_journal`; the app
 * reads what other processes wrote (a terminal's `mlwb`, a detached run's supervisor, another
 * window's server) and announces it on its own bus, so its pages refetch and its alert toasts show
 * as if it had made the change itself. Only the announcement crosses: what changed is read from the
 * store as always. A process that is not the app (`streams`) also writes what a run it follows
 * streams — its live log lines, at most LOG_LINES_PER_S a second (the rest counted as dropped, as a
 * flood's are: they stay in the run's log on disk), and that its metrics moved, at most once a
 * second a run (the last always written) — so a run started in a terminal, or detached, is live in
 * the app too. Rows are kept a few minutes.
 */
import type Database from 'better-sqlite3';
import type { EventOf, Topic } from '../../shared/contract.ts';
import { isStream } from '../../shared/entities.ts';
import type { EventBus } from './events.ts';
import { newId, now } from './ids.ts';
import { every } from './ops/periodic.ts';
import type { Db } from './store/database.ts';

type Statement = Database.Statement<unknown[]>;

/** What crosses: the announcements a page or a toast acts on, and runs' live log lines. */
const JOURNALED = new Set<Topic>(['changed', 'alerts.moved', 'run.log']);
/**
 * A run's live log lines written at most this many, and this many bytes, a second; more are counted
 * as dropped. A line is cut to LOG_LINE_CHARS (the run's log on disk has it whole).
 */
const LOG_LINES_PER_S = 200;
const LOG_BYTES_PER_S = 256 * 1024;
const LOG_LINE_CHARS = 2048;
/** A stream's change (a run's metrics) written at most this often; the last one always. */
const STREAM_EVERY_MS = 1000;
/** How long a row is kept: longer than any reader's pause between reads. */
const KEPT_MS = 10 * 60_000;
/** How often the app looks for other processes' events. */
const READ_EVERY_MS = 1000;
/** At most this many rows a look: a burst is announced over a few looks. */
const READ_LIMIT = 500;

export interface EventJournal {
  /** Starts announcing other processes' events on the bus; returns what stops it. */
  follow(): () => void;
  /** Writes what is held back (a stream's last change), then stops writing this process's events. */
  close(): void;
}

export function eventJournal(db: Db, events: EventBus, opts: { streams?: boolean } = {}): EventJournal {
  const origin = `${process.pid}-${newId()}`;
  // Prepared when first needed: most processes (a terminal's `mlwb dataset list`) write nothing,
  // and only the app reads.
  let statements: { insert: Statement; prune: Statement; since: Statement } | undefined;
  const sql = () =>
    (statements ??= {
      insert: db.prepare('INSERT INTO event_journal (at, origin, topic, payload) VALUES (?, ?, ?, ?)'),
      prune: db.prepare('DELETE FROM event_journal WHERE at < ?'),
      since: db.prepare(
        'SELECT seq, origin, topic, payload FROM event_journal WHERE seq > ? ORDER BY seq LIMIT ?',
      ),
    });
  /** The last row looked at; set when the app starts following (what came before is not news). */
  let last = 0;
  /** Other processes' events as announced here: they are not written again. */
  const replayed = new WeakSet<object>();

  const write = (topic: Topic, body: unknown) => {
    try {
      const { lastInsertRowid } = sql().insert.run(now(), origin, topic, JSON.stringify(body));
      // A home only terminals use has no app to prune it: every 200th row's writer does.
      if (BigInt(lastInsertRowid) % 200n === 0n) sql().prune.run(now() - KEPT_MS);
    } catch {
      // Only a courtesy to an open app: the change itself is in the store already.
    }
  };

  // Streams' changes: when each was last written, and those held back until their second is up.
  const streamWritten = new Map<string, number>();
  const heldBack = new Set<string>();
  let heldTimer: ReturnType<typeof setTimeout> | undefined;
  const writeHeldBack = () => {
    clearTimeout(heldTimer);
    heldTimer = undefined;
    if (!heldBack.size) return;
    const entities = [...heldBack];
    heldBack.clear();
    for (const e of entities) streamWritten.set(e, now());
    write('changed', { entities });
  };
  const streamsToWrite = (streams: string[]): string[] => {
    const due: string[] = [];
    for (const e of streams) {
      if (now() - (streamWritten.get(e) ?? 0) >= STREAM_EVERY_MS && !heldBack.has(e)) {
        streamWritten.set(e, now());
        due.push(e);
      } else {
        heldBack.add(e);
        heldTimer ??= setTimeout(writeHeldBack, STREAM_EVERY_MS);
        heldTimer.unref?.();
      }
    }
    return due;
  };

  // Runs' live lines: how many were written in the current second, and how many dropped since.
  const lineBudget = new Map<string, { second: number; lines: number; bytes: number; dropped: number }>();
  const linesToWrite = (e: EventOf<'run.log'>): EventOf<'run.log'> | undefined => {
    const second = Math.floor(now() / 1000);
    let b = lineBudget.get(e.run);
    if (!b || b.second !== second) {
      // Runs a long-lived supervisor no longer follows are not kept.
      if (!b && lineBudget.size > 64)
        for (const [run, old] of lineBudget) if (old.second < second - 60) lineBudget.delete(run);
      b = { second, lines: 0, bytes: 0, dropped: b?.dropped ?? 0 };
      lineBudget.set(e.run, b);
    }
    // The newest lines that fit, in their order.
    const kept: EventOf<'run.log'>['lines'] = [];
    for (let i = e.lines.length - 1; i >= 0 && b.lines + kept.length < LOG_LINES_PER_S; i--) {
      const l = e.lines[i]!;
      const text = l.text.length > LOG_LINE_CHARS ? `${l.text.slice(0, LOG_LINE_CHARS)}…` : l.text;
      if (b.bytes + text.length > LOG_BYTES_PER_S) break;
      b.bytes += text.length;
      kept.push(text === l.text ? l : { stream: l.stream, text });
    }
    kept.reverse();
    b.dropped += e.dropped + e.lines.length - kept.length;
    if (!kept.length) return undefined;
    b.lines += kept.length;
    const dropped = b.dropped;
    b.dropped = 0;
    return { run: e.run, lines: kept, dropped };
  };

  const off = events.subscribe((topic, payload) => {
    if (!JOURNALED.has(topic) || replayed.has(payload as object)) return;
    if (topic === 'run.log') {
      const body = opts.streams ? linesToWrite(payload as EventOf<'run.log'>) : undefined;
      if (body) write(topic, body);
      return;
    }
    if (topic === 'changed') {
      const all = (payload as EventOf<'changed'>).entities;
      const plain = all.filter((e) => !isStream(e));
      const streams = opts.streams ? streamsToWrite(all.filter(isStream)) : [];
      if (plain.length || streams.length) write(topic, { entities: [...plain, ...streams] });
      return;
    }
    write(topic, payload);
  });

  /** Reads and announces what other processes wrote since the last look (follow's step). */
  function readOthers(): void {
    const rows = sql().since.all(last, READ_LIMIT) as {
      seq: number;
      origin: string;
      topic: Topic;
      payload: string;
    }[];
    for (const r of rows) {
      last = r.seq;
      if (r.origin === origin || !JOURNALED.has(r.topic)) continue;
      let payload: unknown;
      try {
        payload = JSON.parse(r.payload);
      } catch {
        continue;
      }
      if (!payload || typeof payload !== 'object') continue;
      replayed.add(payload);
      events.emit(r.topic, payload as EventOf<typeof r.topic>);
    }
  }

  return {
    follow() {
      last =
        (db.prepare('SELECT max(seq) AS seq FROM event_journal').get() as { seq: number | null }).seq ?? 0;
      let pruned = 0;
      return every(READ_EVERY_MS, async () => {
        readOthers();
        if (now() - pruned > 60_000) {
          pruned = now();
          sql().prune.run(now() - KEPT_MS);
        }
      });
    },
    close() {
      writeHeldBack();
      off();
    },
  };
}
