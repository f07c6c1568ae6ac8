/** The left navigation: one entry per section of the workbench, Monitoring with its firing alerts. */
import { api } from '../api/hooks.ts';
import { href, type Section } from '../router.ts';
import { Icon } from './icons.tsx';
import './Sidebar.css';

const LABELS: Record<Section, string> = {
  datasets: 'Datasets',
  runs: 'Runs',
  compare: 'Compare',
  models: 'Models',
  deployments: 'Deployments',
  monitors: 'Monitoring',
  drift: 'Drift',
  settings: 'Settings',
};

const MAIN: Section[] = ['datasets', 'runs', 'compare', 'models', 'deployments', 'monitors', 'drift'];

export function Sidebar(props: { current: Section }) {
  // Alerts firing now, on every page: the Monitoring entry counts them.
  const monitors = api.monitors.list.useQuery({}).data?.monitors ?? [];
  const firing = monitors.reduce((n, m) => n + m.firing, 0);
  const item = (s: Section) => (
    <a
      key={s}
      href={href({ page: s } as never)}
      className={s === props.current ? 'nav-item active' : 'nav-item'}
      aria-current={s === props.current ? 'page' : undefined}
    >
      <Icon name={s} />
      <span>{LABELS[s]}</span>
      {s === 'monitors' && firing > 0 && (
        <span className="nav-badge" data-testid="firing-badge" title={`${firing} firing`}>
          {firing}
        </span>
      )}
    </a>
  );
  return (
    <nav className="sidebar" aria-label="Sections">
      <div className="brand">
        <span className="brand-mark" aria-hidden="true">
          ML
        </span>
        <span className="brand-name">Workbench</span>
      </div>
      <div className="nav-list">{MAIN.map(item)}</div>
      <div className="nav-list nav-bottom">{item('settings')}</div>
    </nav>
  );
}
