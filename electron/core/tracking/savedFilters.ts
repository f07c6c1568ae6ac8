/**
 * Filters a user named and kept (table `saved_filters`, migration 5), so they follow the store and
 * not one browser profile. A filter is parsed with the runs search's parser before it is kept: a
 * saved filter always applies, and one that does not parse is refused with the parser's message.
 */
import type { FilterScope, SavedFilter } from '../../../shared/tracking.ts';
import { now } from '../ids.ts';
import { type Db, writeTransaction } from '../store/database.ts';
import { parseFilter } from './searchFilter.ts';

interface Row {
  name: string;
  filter: string;
  created_at: number;
}

const toSaved = (r: Row): SavedFilter => ({ name: r.name, filter: r.filter, createdAt: r.created_at });

export class SavedFilters {
  constructor(private readonly db: Db) {}

  /** In the order they were first saved. */
  list(scope: FilterScope): SavedFilter[] {
    const rows = this.db
      .prepare('SELECT name, filter, created_at FROM saved_filters WHERE scope = ? ORDER BY created_at, name')
      .all(scope) as Row[];
    return rows.map(toSaved);
  }

  /** Saving under a name already used replaces its filter; it keeps its place in the list. */
  save(scope: FilterScope, name: string, filter: string): SavedFilter & { replaced: boolean } {
    // Every scope is the runs search's for now; another list would bring its own parser here.
    parseFilter(filter);
    return writeTransaction(this.db, () => {
      const replaced =
        this.db
          .prepare('UPDATE saved_filters SET filter = ? WHERE scope = ? AND name = ?')
          .run(filter, scope, name).changes > 0;
      if (!replaced) {
        // Strictly increasing within a scope, so two saves in one millisecond keep their order.
        const last = this.db
          .prepare('SELECT MAX(created_at) FROM saved_filters WHERE scope = ?')
          .pluck()
          .get(scope) as number | null;
        this.db
          .prepare('INSERT INTO saved_filters (scope, name, filter, created_at) VALUES (?, ?, ?, ?)')
          .run(scope, name, filter, Math.max(now(), (last ?? 0) + 1));
      }
      const row = this.db
        .prepare('SELECT name, filter, created_at FROM saved_filters WHERE scope = ? AND name = ?')
        .get(scope, name) as Row;
      return { ...toSaved(row), replaced };
    });
  }

  remove(scope: FilterScope, name: string): boolean {
    return (
      this.db.prepare('DELETE FROM saved_filters WHERE scope = ? AND name = ?').run(scope, name).changes > 0
    );
  }
}
