/**
 * Events across processes. Every process that opens a home writes what it announces — which
 * entities changed, and alerts a check fired or resolved — to the store's `event_journal`; the app
 * reads what other processes wrote (a terminal's `mlwb`, a detached run's supervisor, another
 * window's server) and announces it on its own bus, so its pages refetch and its alert toasts show
 * as if it had made the change itself. Only the announcement crosses: what changed is read from the
 * store as always. Streams (a running run's metrics) stay in their process: the views that follow
 * them poll. Rows are kept a few minutes.
 */
import type { EventOf, Topic } from '../../shared/contract.ts';
import { isStream } from '../../shared/entities.ts';
import type { EventBus } from './events.ts';
import { newId, now } from './ids.ts';
import { every } from './ops/periodic.ts';
import type { Db } from './store/database.ts';

/** What crosses: the announcements a page or a toast acts on. */
const JOURNALED = new Set<Topic>(['changed', 'alerts.moved']);
/** How long a row is kept: longer than any reader's pause between reads. */
const KEPT_MS = 10 * 60_000;
/** How often the app looks for other processes' events. */
const READ_EVERY_MS = 1000;
/** At most this many rows a look: a burst is announced over a few looks. */
const READ_LIMIT = 500;

export interface EventJournal {
  /** This process's name in the journal. */
  readonly origin: string;
  /** Starts announcing other processes' events on the bus; returns what stops it. */
  follow(everyMs?: number): () => void;
  /** Reads and announces what other processes wrote since the last look (follow's step). */
  readOthers(): number;
  /** Stops writing this process's events. */
  close(): void;
}

export function eventJournal(db: Db, events: EventBus): EventJournal {
  const origin = `${process.pid}-${newId()}`;
  const insert = db.prepare('INSERT INTO event_journal (at, origin, topic, payload) VALUES (?, ?, ?, ?)');
  const prune = db.prepare('DELETE FROM event_journal WHERE at < ?');
  const since = db.prepare(
    'SELECT seq, origin, topic, payload FROM event_journal WHERE seq > ? ORDER BY seq LIMIT ?',
  );
  let last =
    (db.prepare('SELECT max(seq) AS seq FROM event_journal').get() as { seq: number | null }).seq ?? 0;
  /** Other processes' events as announced here: they are not written again. */
  const replayed = new WeakSet<object>();

  const off = events.subscribe((topic, payload) => {
    if (!JOURNALED.has(topic) || replayed.has(payload as object)) return;
    let body = payload;
    if (topic === 'changed') {
      const kept = (payload as EventOf<'changed'>).entities.filter((e) => !isStream(e));
      if (!kept.length) return;
      body = { entities: kept };
    }
    try {
      const { lastInsertRowid } = insert.run(now(), origin, topic, JSON.stringify(body));
      // A home only terminals use has no app to prune it: every 200th row's writer does.
      if (BigInt(lastInsertRowid) % 200n === 0n) prune.run(now() - KEPT_MS);
    } catch {
      // Only a courtesy to an open app: the change itself is in the store already.
    }
  });

  function readOthers(): number {
    const rows = since.all(last, READ_LIMIT) as {
      seq: number;
      origin: string;
      topic: Topic;
      payload: string;
    }[];
    let announced = 0;
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
      announced++;
    }
    return announced;
  }

  return {
    origin,
    readOthers,
    follow(everyMs = READ_EVERY_MS) {
      let pruned = 0;
      return every(everyMs, async () => {
        readOthers();
        if (now() - pruned > 60_000) {
          pruned = now();
          prune.run(now() - KEPT_MS);
        }
      });
    },
    close: off,
  };
}
