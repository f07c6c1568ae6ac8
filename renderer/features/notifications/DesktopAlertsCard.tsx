/**
 * Settings' Notifications card: whether an alert that fires also shows as a desktop notification
 * (in-app toasts always show). Turning it on asks the browser's (or the desktop's) permission; a
 * refusal is said, with where to change it.
 */
import { useId, useState } from 'react';
import { desktopAlertsWanted, notificationPermission, setDesktopAlertsWanted } from './alertNotices.ts';

export function DesktopAlertsCard() {
  const ids = useId();
  const [wanted, setWanted] = useState(desktopAlertsWanted);
  const [permission, setPermission] = useState(notificationPermission);
  const [asking, setAsking] = useState(false);
  // On only once the browser allows it: a prompt dismissed leaves it off, to be asked again.
  const toggle = async (on: boolean) => {
    let allowed = permission;
    if (on && allowed === 'default') {
      setAsking(true);
      allowed = await Notification.requestPermission().catch(() => 'denied' as const);
      setAsking(false);
      setPermission(allowed);
    }
    const kept = on && allowed === 'granted';
    setDesktopAlertsWanted(kept);
    setWanted(kept);
  };
  return (
    <section className="card" aria-labelledby={`${ids}-title`} data-testid="notifications-card">
      <div className="card-header">
        <h3 id={`${ids}-title`}>Notifications</h3>
      </div>
      <p className="muted">
        When a monitor's alert fires, the app shows it at the bottom of the window, whatever page is open.
      </p>
      <label className="mon-check">
        <input
          type="checkbox"
          checked={wanted && permission === 'granted'}
          disabled={asking || permission === 'unsupported' || permission === 'denied'}
          onChange={(e) => void toggle(e.target.checked)}
        />
        Also show a desktop notification, even when the window is in the background
      </label>
      {permission === 'denied' && (
        <div className="notice notice-warning" role="status">
          <div className="notice-text">
            Notifications are blocked for this page. Allow them in the browser's site settings (the icon left
            of the address), then reload.
          </div>
        </div>
      )}
      {window.location.protocol.startsWith('http') && (
        <p className="muted small">
          In browser mode the choice belongs to this address. <code>mlwb ui</code> serves this home on the
          same port each time while it is free, so the choice lasts; a port given with <code>--port</code>{' '}
          must stay the same for it to.
        </p>
      )}
      {permission === 'unsupported' && (
        <p className="muted small">This browser cannot show desktop notifications.</p>
      )}
    </section>
  );
}
