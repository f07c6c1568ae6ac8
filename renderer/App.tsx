/**
 * The shell: navigation on the left, the current page, the status bar, alerts as they fire, and
 * window-wide drops.
 */
import { useLiveInvalidation } from './api/hooks.ts';
import { AddFilesProvider } from './components/AddFiles.tsx';
import { Sidebar } from './components/Sidebar.tsx';
import { StatusBar } from './components/StatusBar.tsx';
import { ComparePage } from './features/datasets/ComparePage.tsx';
import { DatasetPage } from './features/datasets/DatasetPage.tsx';
import { DatasetsPage } from './features/datasets/DatasetsPage.tsx';
import { VersionPage } from './features/datasets/VersionPage.tsx';
import { DeploymentPage } from './features/deployments/DeploymentPage.tsx';
import { DeploymentsPage } from './features/deployments/DeploymentsPage.tsx';
import { DriftPage } from './features/drift/DriftPage.tsx';
import { ModelPage } from './features/models/ModelPage.tsx';
import { ModelsPage } from './features/models/ModelsPage.tsx';
import { ModelVersionPage } from './features/models/ModelVersionPage.tsx';
import { MonitorPage } from './features/monitoring/MonitorPage.tsx';
import { MonitorsPage } from './features/monitoring/MonitorsPage.tsx';
import { PolicyPage } from './features/monitoring/policies/PolicyPage.tsx';
import { AlertToasts } from './features/notifications/AlertToasts.tsx';
import { RunPage } from './features/runs/RunPage.tsx';
import { RunsComparePage } from './features/runs/RunsComparePage.tsx';
import { RunsPage } from './features/runs/RunsPage.tsx';
import { SettingsPage } from './features/settings/SettingsPage.tsx';
import { type Route, sectionOf, useRoute } from './router.ts';

export function App() {
  useLiveInvalidation();
  const route = useRoute();
  const currentDataset = route.page === 'dataset' || route.page === 'version' ? route.name : undefined;
  return (
    <AddFilesProvider currentDataset={currentDataset}>
      <div className="shell">
        <Sidebar current={sectionOf(route)} />
        <main className="content">
          <CurrentPage route={route} />
        </main>
        <StatusBar />
        <AlertToasts />
      </div>
    </AddFilesProvider>
  );
}

function CurrentPage(props: { route: Route }) {
  const r = props.route;
  switch (r.page) {
    case 'datasets':
      return <DatasetsPage />;
    case 'dataset':
      return <DatasetPage key={r.name} name={r.name} />;
    case 'version':
      return <VersionPage key={`${r.name}@${r.version}`} name={r.name} version={r.version} />;
    case 'compare':
      return <ComparePage route={r} />;
    case 'drift':
      return <DriftPage route={r} />;
    case 'runs':
      return <RunsPage />;
    case 'run':
      return <RunPage key={r.id} id={r.id} />;
    case 'runs-compare':
      return <RunsComparePage route={r} />;
    case 'models':
      return <ModelsPage />;
    case 'model':
      return <ModelPage key={r.name} name={r.name} />;
    case 'model-version':
      return <ModelVersionPage key={`${r.name}@${r.version}`} name={r.name} version={r.version} />;
    case 'settings':
      return <SettingsPage />;
    case 'deployments':
      return <DeploymentsPage />;
    case 'deployment':
      return <DeploymentPage key={r.name} name={r.name} />;
    case 'monitors':
      return <MonitorsPage />;
    case 'monitor':
      return <MonitorPage key={r.name} name={r.name} />;
    case 'policy':
      return <PolicyPage key={r.name} name={r.name} execution={r.execution} />;
  }
}
