/**
 * Electron main: a thin host. It opens core for the home, serves the built renderer from the
 * app:// scheme with a strict CSP, and bridges IPC to the same method table the server and CLI use.
 * Windows are sandboxed and context-isolated; permissions, webviews, navigation and new windows are
 * denied (http(s) links go to the system browser; see windowGuards.ts); IPC from any frame but our
 * own is refused.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { app, BrowserWindow, dialog, ipcMain, net, protocol, session, shell } from 'electron';
import { createApi } from './core/api.ts';
import { toWireError } from './core/errors.ts';
import { openWorkbench, resolveHome, type Workbench } from './core/workbench.ts';
import { EVENT_CHANNEL, registerIpc } from './ipcBridge.ts';
import { CSP } from './server/httpSecurity.ts';
import { startTrackingListener } from './server/trackingListener.ts';
import { guardWebContents, onlyNotificationsFromApp } from './windowGuards.ts';

const APP_ORIGIN = 'app://workbench';
const rendererDir = path.join(import.meta.dirname, '..', 'dist', 'renderer');

protocol.registerSchemesAsPrivileged([
  { scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true } },
]);

let wb: Workbench | undefined;

function homeFromArgs(): string | undefined {
  const i = process.argv.indexOf('--home');
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function serveRenderer(request: Request): Promise<Response> {
  const { pathname } = new URL(request.url);
  const file = path.normalize(path.join(rendererDir, decodeURIComponent(pathname)));
  const inside = file.startsWith(rendererDir + path.sep);
  const target = inside && path.extname(file) ? file : path.join(rendererDir, 'index.html');
  const res = await net.fetch(pathToFileURL(target).toString());
  const headers = new Headers(res.headers);
  headers.set('Content-Security-Policy', CSP);
  return new Response(res.body, { status: res.status, headers });
}

function createWindow(): void {
  const win = new BrowserWindow({
    width: 1280,
    height: 820,
    title: 'MLOps Workbench',
    webPreferences: {
      preload: path.join(import.meta.dirname, 'preload.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
    },
  });
  void win.loadURL(`${APP_ORIGIN}/index.html`);
}

// Navigation, new windows and webviews are refused in every web contents, from its creation.
guardWebContents(app, APP_ORIGIN, (url) => void shell.openExternal(url));

async function start(): Promise<void> {
  await app.whenReady();
  onlyNotificationsFromApp(session.defaultSession, APP_ORIGIN);
  protocol.handle('app', serveRenderer);
  const home = resolveHome(
    homeFromArgs() ?? process.env.MLWB_HOME ?? path.join(app.getPath('userData'), 'home'),
  );
  wb = await openWorkbench(home, { mode: 'electron' });
  const api = createApi(wb);

  registerIpc(ipcMain, api, APP_ORIGIN, async (title) => {
    const parent = BrowserWindow.getFocusedWindow();
    const options = { title, properties: ['openDirectory', 'createDirectory'] };
    const r = await (parent ? dialog.showOpenDialog(parent, options) : dialog.showOpenDialog(options));
    return r.canceled ? null : (r.filePaths[0] ?? null);
  });
  await startTrackingListener(wb);
  void wb.runs.resume().catch(() => {});
  wb.events.subscribe((topic, payload) => {
    for (const w of BrowserWindow.getAllWindows()) {
      if (!w.webContents.isDestroyed()) w.webContents.send(EVENT_CHANNEL, { topic, payload });
    }
  });

  createWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  app.on('before-quit', () => {
    void wb?.close();
  });
}

start().catch((err) => {
  console.error(`error: ${toWireError(err).message}`);
  app.quit();
});
