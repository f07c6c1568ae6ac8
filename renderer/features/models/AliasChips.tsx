/** Aliases as small chips, each opening the version it names. */
import { href } from '../../router.ts';

export function AliasChips(props: { name: string; aliases: Record<string, number> }) {
  const entries = Object.entries(props.aliases);
  if (entries.length === 0) return <span className="muted">—</span>;
  return (
    <span className="alias-chips">
      {entries.map(([alias, version]) => (
        <a
          key={alias}
          className="alias-chip"
          href={href({ page: 'model-version', name: props.name, version })}
          onClick={(e) => e.stopPropagation()}
        >
          {alias} <span className="muted">v{version}</span>
        </a>
      ))}
    </span>
  );
}
