/**
 * The only bridge between the sandboxed renderer and the app: invoke a contract method, subscribe
 * to events, turn a dropped File into its path, and ask the user for a folder. Nothing else is
 * exposed.
 */
import { contextBridge, ipcRenderer, webUtils } from 'electron';

type Listener = (frame: { topic: string; payload: unknown }) => void;

contextBridge.exposeInMainWorld('mlwb', {
  invoke: (method: string, params: unknown) => ipcRenderer.invoke('mlwb:invoke', method, params),
  subscribe: (listener: Listener) => {
    const wrapped = (_event: unknown, frame: unknown) =>
      listener(frame as { topic: string; payload: unknown });
    ipcRenderer.on('mlwb:event', wrapped);
    return () => ipcRenderer.removeListener('mlwb:event', wrapped);
  },
  pathForFile: (file: File) => webUtils.getPathForFile(file),
  pickFolder: (title: string) => ipcRenderer.invoke('mlwb:pickFolder', title),
});
