import { describe, expect, it } from 'vitest';
import {
  type AppLike,
  guardWebContents,
  onlyNotificationsFromApp,
  type SessionLike,
  type WebContentsLike,
} from './windowGuards.ts';

describe('Electron window guards (without the binary)', () => {
  it('denies every permission request and check but notifications from the app itself', () => {
    type Request = Parameters<SessionLike['setPermissionRequestHandler']>[0];
    type Check = Parameters<SessionLike['setPermissionCheckHandler']>[0];
    let request: Request = null;
    let check: Check = null;
    onlyNotificationsFromApp(
      {
        setPermissionRequestHandler: (h) => {
          request = h;
        },
        setPermissionCheckHandler: (h) => {
          check = h;
        },
      },
      'app://workbench',
    );
    const asked = (permission: string, url: string) => {
      let granted: boolean | undefined;
      request!(
        {},
        permission,
        (g) => {
          granted = g;
        },
        { requestingUrl: url },
      );
      return granted;
    };
    for (const permission of ['media', 'geolocation', 'clipboard-read', 'openExternal']) {
      expect(asked(permission, 'app://workbench/index.html'), permission).toBe(false);
      expect(
        check!({}, permission, 'app://workbench', { requestingUrl: 'app://workbench/' }),
        permission,
      ).toBe(false);
    }
    expect(asked('notifications', 'app://workbench/index.html')).toBe(true);
    expect(check!({}, 'notifications', 'app://workbench')).toBe(true);
    // Not from another page, nor when Electron does not say who asks.
    expect(asked('notifications', 'https://example.com/')).toBe(false);
    expect(asked('notifications', '')).toBe(false);
    expect(check!({}, 'notifications', 'https://example.com')).toBe(false);
    expect(check!({}, 'notifications')).toBe(false);
  });

  it('refuses webviews, new windows and foreign navigation in every web contents created', () => {
    let created: ((e: unknown, c: WebContentsLike) => void) | undefined;
    const app: AppLike = {
      on: (_event, listener) => {
        created = listener;
      },
    };
    const opened: string[] = [];
    guardWebContents(app, 'app://workbench', (url) => opened.push(url));
    const listeners = new Map<string, (...args: never[]) => void>();
    let openHandler: ((d: { url: string }) => { action: 'deny' }) | undefined;
    const contents = {
      on: (event: string, l: (...args: never[]) => void) => listeners.set(event, l),
      setWindowOpenHandler: (h: (d: { url: string }) => { action: 'deny' }) => {
        openHandler = h;
      },
    } as unknown as WebContentsLike;
    created!({}, contents);

    const prevented = (fire: (e: { preventDefault(): void }) => void) => {
      let p = false;
      fire({ preventDefault: () => (p = true) } as never);
      return p;
    };
    expect(prevented((e) => (listeners.get('will-attach-webview') as (e: unknown) => void)(e))).toBe(true);
    const nav = listeners.get('will-navigate') as (e: unknown, url: string) => void;
    expect(prevented((e) => nav(e, 'https://evil.example/'))).toBe(true);
    expect(prevented((e) => nav(e, 'app://workbench.evil/'))).toBe(true);
    expect(prevented((e) => nav(e, 'app://workbench/index.html#/runs'))).toBe(false);
    expect(openHandler!({ url: 'https://mlflow.org/docs' })).toEqual({ action: 'deny' });
    expect(openHandler!({ url: 'file:///etc/passwd' })).toEqual({ action: 'deny' });
    expect(opened).toEqual(['https://mlflow.org/docs']);
  });
});
