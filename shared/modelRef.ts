/**
 * Model references as users type them, free of zod so the CLI can parse them before anything heavy
 * loads: `NAME` (the latest version), `NAME@3` or `NAME@v3`, `NAME@champion`, `NAME@latest`.
 */
export type ModelRef = { name: string; version?: number; alias?: string };
export function parseModelRef(ref: string): ModelRef {
  const at = ref.lastIndexOf('@');
  if (at < 0) return { name: ref };
  const name = ref.slice(0, at);
  const tail = ref.slice(at + 1);
  const numbered = /^v?(\d+)$/i.exec(tail);
  if (numbered) return { name, version: Number(numbered[1]) };
  if (tail.toLowerCase() === 'latest') return { name };
  return { name, alias: tail };
}
export function formatModelRef(r: ModelRef): string {
  return r.version !== undefined ? `${r.name}@${r.version}` : r.alias ? `${r.name}@${r.alias}` : r.name;
}
