/**
 * A version's manifest: entries sorted by path; its digest is the SHA-256 of the canonical JSON
 * (entries in path order, keys in the order path, size, sha256, mode, no white space).
 */
import { createHash } from 'node:crypto';
import type { ManifestEntry } from '../../../shared/datasets.ts';

export function canonicalManifest(entries: ManifestEntry[]): string {
  const sorted = [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return JSON.stringify(sorted.map((e) => ({ path: e.path, size: e.size, sha256: e.sha256, mode: e.mode })));
}

export function manifestDigest(entries: ManifestEntry[]): string {
  return createHash('sha256').update(canonicalManifest(entries)).digest('hex');
}
