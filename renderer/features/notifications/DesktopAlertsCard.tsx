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
  const toggle = async (on: boolean) => {
    setDesktopAlertsWanted(on);
    setWanted(on);
    if (on && permission === 'default') setPermission(await Notification.requestPermission());
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
          disabled={permission === 'unsupported' || permission === 'denied'}
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
      {permission === 'unsupported' && (
        <p className="muted small">This browser cannot show desktop notifications.</p>
      )}
    </section>
  );
}
