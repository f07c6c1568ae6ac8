/**
 * What the Electron host refuses, in one place, written against the small slices of Electron's
 * API it uses so it is tested without the binary:
 *   - every permission (camera, notifications, geolocation…): Electron grants them by default,
 *     and the workbench uses none;
 *   - webviews and new windows, from any web contents the app ever creates;
 *   - navigation away from the app's own origin (http(s) links open in the system browser).
 */
export interface SessionLike {
  setPermissionRequestHandler(
    handler:
      | ((webContents: unknown, permission: string, callback: (granted: boolean) => void) => void)
      | null,
  ): void;
  setPermissionCheckHandler(handler: ((webContents: unknown, permission: string) => boolean) | null): void;
}

interface EventLike {
  preventDefault(): void;
}

export interface WebContentsLike {
  on(event: 'will-navigate', listener: (event: EventLike, url: string) => void): unknown;
  on(event: 'will-attach-webview', listener: (event: EventLike) => void): unknown;
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' }): void;
}

export interface AppLike {
  on(event: 'web-contents-created', listener: (event: unknown, contents: WebContentsLike) => void): unknown;
}

export function denyAllPermissions(session: SessionLike): void {
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
}

/** Applied to every web contents as it is created, so no later window or frame escapes it. */
export function guardWebContents(app: AppLike, appOrigin: string, openExternal: (url: string) => void): void {
  // app:// is not a special scheme, so URL.origin is "null" for it: compare scheme and host.
  const home = new URL(appOrigin);
  const ours = (url: string) => {
    try {
      const u = new URL(url);
      return u.protocol === home.protocol && u.host === home.host;
    } catch {
      return false;
    }
  };
  app.on('web-contents-created', (_event, contents) => {
    contents.on('will-attach-webview', (event) => event.preventDefault());
    contents.on('will-navigate', (event, url) => {
      if (!ours(url)) event.preventDefault();
    });
    contents.setWindowOpenHandler(({ url }) => {
      if (/^https?:\/\//i.test(url)) openExternal(url);
      return { action: 'deny' };
    });
  });
}
