/**
 * Hash routes, so the server needs no routes of its own and a reload keeps the page:
 *   #/datasets  #/datasets/NAME  #/datasets/NAME/VERSION  #/compare?dataset=&from=&to=&key=
 *   #/runs  #/models  #/deployments  #/monitoring  #/settings
 */
import { useEffect, useState } from 'react';

export const SECTIONS = [
  'datasets',
  'runs',
  'compare',
  'models',
  'deployments',
  'monitoring',
  'settings',
] as const;
export type Section = (typeof SECTIONS)[number];

export type Route =
  | { page: 'datasets' }
  | { page: 'dataset'; name: string }
  | { page: 'version'; name: string; version: number }
  | { page: 'compare'; name?: string; from?: number; to?: number; key?: string }
  | { page: 'runs' | 'models' | 'deployments' | 'monitoring' | 'settings' };

export function sectionOf(route: Route): Section {
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
    case 'runs':
    case 'models':
    case 'deployments':
    case 'monitoring':
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
    default:
      return `#/${route.page}`;
  }
}

export function navigate(route: Route, opts: { replace?: boolean } = {}): void {
  if (opts.replace) window.history.replaceState(null, '', href(route));
  else window.location.hash = href(route);
  if (opts.replace) window.dispatchEvent(new HashChangeEvent('hashchange'));
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseHash(window.location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseHash(window.location.hash));
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}
