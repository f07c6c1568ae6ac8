/** The shell: navigation on the left, the current page, the status bar, and window-wide drops. */
import { useLiveInvalidation } from './api/hooks.ts';
import { AddFilesProvider } from './components/AddFiles.tsx';
import { Sidebar } from './components/Sidebar.tsx';
import { StatusBar } from './components/StatusBar.tsx';
import { ComparePage } from './pages/ComparePage.tsx';
import { DatasetPage } from './pages/DatasetPage.tsx';
import { DatasetsPage } from './pages/DatasetsPage.tsx';
import { MonitoringPage } from './pages/MonitoringPage.tsx';
import { PlaceholderPage } from './pages/PlaceholderPage.tsx';
import { RunPage } from './pages/RunPage.tsx';
import { RunsComparePage } from './pages/RunsComparePage.tsx';
import { RunsPage } from './pages/RunsPage.tsx';
import { SettingsPage } from './pages/SettingsPage.tsx';
import { VersionPage } from './pages/VersionPage.tsx';
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
    case 'monitoring':
      return <MonitoringPage route={r} />;
    case 'runs':
      return <RunsPage />;
    case 'run':
      return <RunPage key={r.id} id={r.id} />;
    case 'runs-compare':
      return <RunsComparePage route={r} />;
    case 'settings':
      return <SettingsPage />;
    default:
      return <PlaceholderPage section={r.page} />;
  }
}
