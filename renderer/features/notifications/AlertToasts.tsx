/**
 * Alerts as they fire, wherever the user is in the app: a toast per monitor and rule (newest on
 * top, at most four; each goes after 20 s or when closed, and Open goes to the monitor), and, when
 * asked for in Settings and allowed by the browser or the desktop, a desktop notification that
 * opens the monitor when clicked. Fed by the `alerts.moved` events of every check: the app's own
 * (its schedule, Check now) and, through the store's event journal, a terminal's
 * `mlwb monitors run`.
 */
import { useEffect, useState } from 'react';
import { useClient } from '../../api/client.ts';
import { href, navigate } from '../../router.ts';
import { type AlertNotice, type AlertsMoved, desktopAlertsWanted, noticesOf } from './alertNotices.ts';
import './notifications.css';

const SHOWN_MS = 20_000;
const MAX_SHOWN = 4;

export function AlertToasts() {
  const client = useClient();
  const [toasts, setToasts] = useState<AlertNotice[]>([]);
  const dismiss = (key: string) => setToasts((all) => all.filter((t) => t.key !== key));

  useEffect(() => {
    const timers = new Set<ReturnType<typeof setTimeout>>();
    const off = client.transport.subscribe((frame) => {
      if (frame.topic !== 'alerts.moved') return;
      const fired = noticesOf(frame.payload as AlertsMoved);
      if (fired.length === 0) return;
      setToasts((all) =>
        [...fired, ...all.filter((t) => !fired.some((f) => f.key === t.key))].slice(0, MAX_SHOWN),
      );
      for (const n of fired) {
        const timer = setTimeout(() => {
          timers.delete(timer);
          setToasts((all) => all.filter((t) => t !== n));
        }, SHOWN_MS);
        timers.add(timer);
        if (
          desktopAlertsWanted() &&
          typeof Notification !== 'undefined' &&
          Notification.permission === 'granted'
        ) {
          const shown = new Notification(n.title, { body: n.body, tag: n.key });
          shown.onclick = () => {
            window.focus();
            navigate({ page: 'monitor', name: n.monitor });
          };
        }
      }
    });
    return () => {
      off();
      for (const t of timers) clearTimeout(t);
    };
  }, [client]);

  if (toasts.length === 0) return null;
  return (
    <section className="alert-toasts" aria-label="Alerts that fired">
      {toasts.map((t) => (
        <div key={t.key} className="alert-toast" role="alert" data-testid="alert-toast">
          <span className="alert-dot" aria-hidden="true" />
          <div className="alert-toast-text">
            <strong>Alert fired · {t.title}</strong>
            <span>{t.body}</span>
          </div>
          <div className="alert-toast-actions">
            <a
              className="btn btn-small"
              href={href({ page: 'monitor', name: t.monitor })}
              onClick={() => dismiss(t.key)}
            >
              Open
            </a>
            <button
              type="button"
              className="alert-toast-close"
              aria-label="Dismiss"
              onClick={() => dismiss(t.key)}
            >
              ×
            </button>
          </div>
        </div>
      ))}
    </section>
  );
}
