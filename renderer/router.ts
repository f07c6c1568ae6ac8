/**
 * Hash routes, so the server needs no routes of its own and a reload keeps the page:
 *   #/datasets  #/datasets/NAME  #/datasets/NAME/VERSION  #/compare?dataset=&from=&to=&key=
 *   #/drift?report=ID  #/drift?a=ID&b=ID (two stored drift reports compared)
 *   #/runs  #/runs/ID  #/runs/compare?ids=A,B&metric=KEY
 *   #/models  #/models/NAME  #/models/NAME/VERSION  #/deployments  #/deployments/NAME
 *   #/monitors  #/monitors/NAME (watching deployments)  #/policies/NAME?execution=ID (retraining)
 *   #/settings
 * `#/monitoring…` is what the drift page was called before "monitoring" was kept for watching
 * deployments: such links still open the drift page, and the address bar is corrected.
 */
import { useEffect, useState } from 'react';

export const SECTIONS = [
  'datasets',
  'runs',
  'compare',
  'models',
  'deployments',
  'monitors',
  'drift',
  'settings',
] as const;
export type Section = (typeof SECTIONS)[number];

export type Route =
  | { page: 'datasets' }
  | { page: 'dataset'; name: string }
  | { page: 'version'; name: string; version: number }
  | { page: 'compare'; name?: string; from?: number; to?: number; key?: string }
  | { page: 'drift'; report?: string; a?: string; b?: string }
  | { page: 'run'; id: string }
  | { page: 'runs-compare'; ids: string[]; metric?: string }
  | { page: 'model'; name: string }
  | { page: 'model-version'; name: string; version: number }
  | { page: 'deployment'; name: string }
  | { page: 'monitor'; name: string }
  /** A continuous-training policy; `execution`: the one whose pipeline is shown (else the latest). */
  | { page: 'policy'; name: string; execution?: string }
  | { page: 'runs' | 'models' | 'deployments' | 'monitors' | 'settings' };

export function sectionOf(route: Route): Section {
  if (route.page === 'run' || route.page === 'runs-compare') return 'runs';
  if (route.page === 'model' || route.page === 'model-version') return 'models';
  if (route.page === 'deployment') return 'deployments';
  if (route.page === 'monitor' || route.page === 'policy') return 'monitors';
  return route.page === 'dataset' || route.page === 'version' ? 'datasets' : route.page;
}

export function parseHash(hash: string): Route {
  const [pathPart = '', query = ''] = hash.replace(/^#/, '').split('?');
  const parts = pathPart.split('/').filter(Boolean).map(decodeURIComponent);
  const q = new URLSearchParams(query);
  const num = (k: string) => {
    const v = Number(q.get(k));
    return Number.isInteger(v) && v > 0 ? v : undefined;
  };
  switch (parts[0]) {
    case 'datasets': {
      const version = Number(parts[2]);
      if (parts[1] && Number.isInteger(version) && version > 0)
        return { page: 'version', name: parts[1], version };
      if (parts[1]) return { page: 'dataset', name: parts[1] };
      return { page: 'datasets' };
    }
    case 'compare':
      return {
        page: 'compare',
        name: q.get('dataset') ?? undefined,
        from: num('from'),
        to: num('to'),
        key: q.get('key') || undefined,
      };
    case 'drift':
    case 'monitoring':
      return {
        page: 'drift',
        report: q.get('report') || undefined,
        a: q.get('a') || undefined,
        b: q.get('b') || undefined,
      };
    case 'runs':
      if (parts[1] === 'compare')
        return {
          page: 'runs-compare',
          ids: (q.get('ids') ?? '').split(',').filter(Boolean),
          metric: q.get('metric') || undefined,
        };
      if (parts[1]) return { page: 'run', id: parts[1] };
      return { page: 'runs' };
    case 'models': {
      const version = Number(parts[2]);
      if (parts[1] && Number.isInteger(version) && version > 0)
        return { page: 'model-version', name: parts[1], version };
      if (parts[1]) return { page: 'model', name: parts[1] };
      return { page: 'models' };
    }
    case 'deployments':
      return parts[1] ? { page: 'deployment', name: parts[1] } : { page: 'deployments' };
    case 'monitors':
      return parts[1] ? { page: 'monitor', name: parts[1] } : { page: 'monitors' };
    // Policies are listed on the Monitoring page: `#/policies` alone opens it.
    case 'policies':
      return parts[1]
        ? { page: 'policy', name: parts[1], execution: q.get('execution') || undefined }
        : { page: 'monitors' };
    case 'settings':
      return { page: parts[0] };
    default:
      return { page: 'datasets' };
  }
}

export function href(route: Route): string {
  const enc = encodeURIComponent;
  switch (route.page) {
    case 'dataset':
      return `#/datasets/${enc(route.name)}`;
    case 'version':
      return `#/datasets/${enc(route.name)}/${route.version}`;
    case 'compare': {
      const q = new URLSearchParams();
      if (route.name) q.set('dataset', route.name);
      if (route.from) q.set('from', String(route.from));
      if (route.to) q.set('to', String(route.to));
      if (route.key) q.set('key', route.key);
      const s = q.toString();
      return s ? `#/compare?${s}` : '#/compare';
    }
    case 'drift': {
      const q = new URLSearchParams();
      if (route.report) q.set('report', route.report);
      if (route.a) q.set('a', route.a);
      if (route.b) q.set('b', route.b);
      const s = q.toString();
      return s ? `#/drift?${s}` : '#/drift';
    }
    case 'run':
      return `#/runs/${enc(route.id)}`;
    case 'model':
      return `#/models/${enc(route.name)}`;
    case 'model-version':
      return `#/models/${enc(route.name)}/${route.version}`;
    case 'deployment':
      return `#/deployments/${enc(route.name)}`;
    case 'monitor':
      return `#/monitors/${enc(route.name)}`;
    case 'policy':
      return `#/policies/${enc(route.name)}${route.execution ? `?execution=${enc(route.execution)}` : ''}`;
    case 'runs-compare': {
      const q = new URLSearchParams({ ids: route.ids.join(',') });
      if (route.metric) q.set('metric', route.metric);
      return `#/runs/compare?${q.toString().replaceAll('%2C', ',')}`;
    }
    default:
      return `#/${route.page}`;
  }
}

export function navigate(route: Route, opts: { replace?: boolean } = {}): void {
  if (opts.replace) window.history.replaceState(null, '', href(route));
  else window.location.hash = href(route);
  if (opts.replace) window.dispatchEvent(new HashChangeEvent('hashchange'));
}

/** An old address (`#/monitoring…`) written as the current one, or undefined when it is current. */
export function legacyRedirect(hash: string): string | undefined {
  return /^#?\/monitoring(?=[/?]|$)/.test(hash) ? href(parseHash(hash)) : undefined;
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseHash(window.location.hash));
  useEffect(() => {
    // The old address is replaced, not pushed: Back does not return to it.
    const correct = () => {
      const current = legacyRedirect(window.location.hash);
      if (current) window.history.replaceState(null, '', current);
    };
    const onChange = () => {
      correct();
      setRoute(parseHash(window.location.hash));
    };
    correct();
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}
