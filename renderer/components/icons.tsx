/** The few line icons the shell uses (24×24 strokes), so no icon font or external asset is needed. */
import type { Section } from '../router.ts';

const PATHS: Record<Section | 'drop' | 'file' | 'folder' | 'engine' | 'store', string> = {
  datasets:
    'M4 6c0-1.7 3.6-3 8-3s8 1.3 8 3-3.6 3-8 3-8-1.3-8-3Zm0 0v12c0 1.7 3.6 3 8 3s8-1.3 8-3V6M4 12c0 1.7 3.6 3 8 3s8-1.3 8-3',
  runs: 'M6 4l14 8-14 8V4Z',
  compare: 'M8 3v18M16 3v18M4 7h4M4 17h4M16 7h4M16 12h4',
  models: 'M12 2l9 5v10l-9 5-9-5V7l9-5Zm0 0v20M3 7l9 5 9-5',
  deployments: 'M4 14h16v6H4v-6Zm0-10h16v6H4V4Zm3 3h.01M7 17h.01',
  monitors: 'M6 16v-5a6 6 0 0 1 12 0v5l2 2H4l2-2Zm4 4.5a2 2 0 0 0 4 0',
  drift: 'M3 12h4l3-8 4 16 3-8h4',
  settings:
    'M12 15a3 3 0 1 0 0-6 3 3 0 0 0 0 6Zm7.4-3a7.4 7.4 0 0 0-.1-1.2l2-1.6-2-3.4-2.4 1a7.5 7.5 0 0 0-2-1.2L14.5 3h-4l-.4 2.6a7.5 7.5 0 0 0-2 1.2l-2.4-1-2 3.4 2 1.6a7.4 7.4 0 0 0 0 2.4l-2 1.6 2 3.4 2.4-1a7.5 7.5 0 0 0 2 1.2l.4 2.6h4l.4-2.6a7.5 7.5 0 0 0 2-1.2l2.4 1 2-3.4-2-1.6c.1-.4.1-.8.1-1.2Z',
  drop: 'M12 3v12m0 0-4-4m4 4 4-4M4 17v2a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2v-2',
  file: 'M14 3H6a1 1 0 0 0-1 1v16a1 1 0 0 0 1 1h12a1 1 0 0 0 1-1V8l-5-5Zm0 0v5h5',
  folder: 'M3 6a1 1 0 0 1 1-1h5l2 2h9a1 1 0 0 1 1 1v10a1 1 0 0 1-1 1H4a1 1 0 0 1-1-1V6Z',
  engine: 'M3 10h18v8H3v-8Zm3-4h3v4H6V6Zm5 0h3v4h-3V6Z',
  store: 'M4 4h16v6H4V4Zm0 10h16v6H4v-6Z',
};

export function Icon(props: { name: keyof typeof PATHS; size?: number }) {
  const size = props.size ?? 18;
  return (
    <svg
      className="icon"
      width={size}
      height={size}
      viewBox="0 0 24 24"
      fill="none"
      stroke="currentColor"
      strokeWidth={1.7}
      strokeLinecap="round"
      strokeLinejoin="round"
      aria-hidden="true"
    >
      <path d={PATHS[props.name]} />
    </svg>
  );
}
