/**
 * Builds the renderer into dist/renderer, where the browser-mode server and Electron load it from.
 * Relative asset URLs (`base: './'`) so the same build works over http:// and file://.
 */
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('./renderer', import.meta.url)),
  base: './',
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('./dist/renderer', import.meta.url)),
    emptyOutDir: true,
    // plotly.js is one large pre-bundled file, loaded on demand by the charts.
    chunkSizeWarningLimit: 5000,
  },
});
