/**
 * What the Electron host refuses, in one place, written against the small slices of Electron's
 * API it uses so it is tested without the binary:
 *   - every permission (camera, geolocation, clipboard…; Electron grants them by default) but
 *     notifications asked for by the app's own pages (alerts as they fire, when turned on in
 *     Settings);
 *   - webviews and new windows, from any web contents the app ever creates;
 *   - navigation away from the app's own origin (http(s) links open in the system browser).
 */
export interface SessionLike {
  setPermissionRequestHandler(
    handler:
      | ((
          webContents: unknown,
          permission: string,
          callback: (granted: boolean) => void,
          details?: { requestingUrl?: string },
        ) => void)
      | null,
  ): void;
  setPermissionCheckHandler(
    handler:
      | ((
          webContents: unknown,
          permission: string,
          requestingOrigin?: string,
          details?: { requestingUrl?: string },
        ) => boolean)
      | null,
  ): void;
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

/** Whether a URL (or an origin) is the app's own. */
function ofOrigin(appOrigin: string): (url: string | undefined) => boolean {
  // app:// is not a special scheme, so URL.origin is "null" for it: compare scheme and host.
  const home = new URL(appOrigin);
  return (url) => {
    if (!url) return false;
    try {
      const u = new URL(url);
      return u.protocol === home.protocol && u.host === home.host;
    } catch {
      return false;
    }
  };
}

/** Refuses every permission, but notifications asked for by the app's own pages. */
export function onlyNotificationsFromApp(session: SessionLike, appOrigin: string): void {
  const ours = ofOrigin(appOrigin);
  session.setPermissionRequestHandler((_contents, permission, callback, details) =>
    callback(permission === 'notifications' && ours(details?.requestingUrl)),
  );
  session.setPermissionCheckHandler(
    (_contents, permission, requestingOrigin, details) =>
      permission === 'notifications' && (ours(details?.requestingUrl) || ours(requestingOrigin)),
  );
}

/** Applied to every web contents as it is created, so no later window or frame escapes it. */
export function guardWebContents(app: AppLike, appOrigin: string, openExternal: (url: string) => void): void {
  const ours = ofOrigin(appOrigin);
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
