import { describe, expect, it } from 'vitest';
import { type AppLike, denyAllPermissions, guardWebContents, type WebContentsLike } from './windowGuards.ts';

describe('Electron window guards (without the binary)', () => {
  it('denies every permission request and check', () => {
    let request: ((c: unknown, p: string, cb: (g: boolean) => void) => void) | null = null;
    let check: ((c: unknown, p: string) => boolean) | null = null;
    denyAllPermissions({
      setPermissionRequestHandler: (h) => {
        request = h;
      },
      setPermissionCheckHandler: (h) => {
        check = h;
      },
    });
    for (const permission of ['media', 'notifications', 'geolocation', 'clipboard-read', 'openExternal']) {
      let granted: boolean | undefined;
      request!({}, permission, (g) => {
        granted = g;
      });
      expect(granted, permission).toBe(false);
      expect(check!({}, permission), permission).toBe(false);
    }
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
