/** Sections that are planned but not built yet say what they will hold. */

import type { Section } from '../router.ts';
import { Icon } from './icons.tsx';
import { EmptyState } from './Notice.tsx';

type Planned = Exclude<Section, 'datasets' | 'compare' | 'drift' | 'settings' | 'runs' | 'models'>;

const PLANNED: Record<Planned, { title: string; heading: string; body: string }> = {
  deployments: {
    title: 'Deployments',
    heading: 'Running deployments will appear here',
    body: 'Models packaged into images and served on this machine with one click: the endpoint, a try-it form, logs and live serving metrics.',
  },
};

export function PlaceholderPage(props: { section: Planned }) {
  const p = PLANNED[props.section];
  return (
    <div className="page">
      <header className="page-header">
        <h1>{p.title}</h1>
      </header>
      <EmptyState title={p.heading} icon={<Icon name={props.section} size={36} />}>
        <p>{p.body}</p>
        <p className="muted">Not built yet: this part of the workbench comes in a later release.</p>
      </EmptyState>
    </div>
  );
}
