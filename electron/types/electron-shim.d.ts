/**
 * The slice of Electron's API that electron/main.ts and electron/preload.ts use. `electron` is an
 * optional dependency (its binary download fails without GitHub access), so type-checking must
 * not depend on it being installed.
 */
declare module 'electron' {
  interface WebContents {
    id: number;
    send(channel: string, ...args: unknown[]): void;
    on(event: 'will-navigate', listener: (event: { preventDefault(): void }, url: string) => void): void;
    on(event: 'will-attach-webview', listener: (event: { preventDefault(): void }) => void): void;
    setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' | 'allow' }): void;
    isDestroyed(): boolean;
  }
  interface IpcMainInvokeEvent {
    sender: WebContents;
    senderFrame: { url: string } | null;
  }
  export class BrowserWindow {
    constructor(options: Record<string, unknown>);
    webContents: WebContents;
    loadURL(url: string): Promise<void>;
    on(event: 'closed', listener: () => void): void;
    static getAllWindows(): BrowserWindow[];
    static getFocusedWindow(): BrowserWindow | null;
  }
  export const app: {
    whenReady(): Promise<void>;
    on(event: 'window-all-closed' | 'activate' | 'before-quit', listener: () => void): void;
    on(event: 'web-contents-created', listener: (event: unknown, contents: WebContents) => void): void;
    quit(): void;
    getPath(name: 'userData'): string;
    isPackaged: boolean;
  };
  export const ipcMain: {
    handle(
      channel: string,
      listener: (event: IpcMainInvokeEvent, ...args: unknown[]) => Promise<unknown>,
    ): void;
  };
  export const protocol: {
    registerSchemesAsPrivileged(schemes: { scheme: string; privileges: Record<string, boolean> }[]): void;
    handle(scheme: string, handler: (request: Request) => Response | Promise<Response>): void;
  };
  interface OpenDialogOptions {
    title?: string;
    properties?: string[];
  }
  export const dialog: {
    showOpenDialog(
      window: BrowserWindow | OpenDialogOptions,
      options?: OpenDialogOptions,
    ): Promise<{ canceled: boolean; filePaths: string[] }>;
  };
  export const shell: { openExternal(url: string): Promise<void> };
  export const session: {
    defaultSession: {
      setPermissionRequestHandler(
        handler:
          | ((webContents: unknown, permission: string, callback: (granted: boolean) => void) => void)
          | null,
      ): void;
      setPermissionCheckHandler(
        handler: ((webContents: unknown, permission: string) => boolean) | null,
      ): void;
    };
  };
  export const net: { fetch(url: string): Promise<Response> };
  export const contextBridge: { exposeInMainWorld(key: string, api: unknown): void };
  export const ipcRenderer: {
    invoke(channel: string, ...args: unknown[]): Promise<unknown>;
    on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): void;
    removeListener(channel: string, listener: (event: unknown, ...args: unknown[]) => void): void;
  };
  export const webUtils: { getPathForFile(file: File): string };
}
