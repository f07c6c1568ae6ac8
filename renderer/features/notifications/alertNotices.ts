/**
 * What the app says when a monitor's alert fires: the notice's words (shared by the in-app toast
 * and the desktop notification), and whether the user asked for desktop notifications, a choice
 * kept in this browser profile (it goes with the browser's own permission, which is per profile).
 */
import type { EventOf } from '../../../shared/contract.ts';

export type AlertsMoved = EventOf<'alerts.moved'>;

export interface AlertNotice {
  /** One per monitor and rule: a later firing of the same replaces it. */
  key: string;
  monitor: string;
  title: string;
  body: string;
}

/** A notice for each alert that fired in the event; resolved ones say nothing. */
export function noticesOf(e: AlertsMoved): AlertNotice[] {
  return e.fired.map((a) => ({
    key: `${a.monitor}\u0000${a.rule}`,
    monitor: a.monitor,
    title: `${a.monitor}: ${a.rule}`,
    body: `${a.message} (${a.deployment})`,
  }));
}

const PREF = 'mlwb.desktopAlerts';

export function desktopAlertsWanted(storage: Pick<Storage, 'getItem'> = localStorage): boolean {
  return storage.getItem(PREF) === 'on';
}

export function setDesktopAlertsWanted(on: boolean, storage: Pick<Storage, 'setItem'> = localStorage): void {
  storage.setItem(PREF, on ? 'on' : 'off');
}

/** The browser's notification permission, or 'unsupported' where there is no Notification API. */
export function notificationPermission(): NotificationPermission | 'unsupported' {
  return typeof Notification === 'undefined' ? 'unsupported' : Notification.permission;
}
