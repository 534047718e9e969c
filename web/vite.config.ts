// Vite build of the console: static files into dist/ (or --outDir), embedded into the
// gatehouse binary by CMake. Module scripts only (no inline code), so the server's strict
// Content-Security-Policy holds; `vite` (dev) proxies the API to a local `gatehouse serve`.
import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';

export default defineConfig({
  plugins: [preact()],
  build: {
    target: 'es2022',
    assetsInlineLimit: 0, // no data: URLs for scripts or styles
    modulePreload: { polyfill: false }, // the polyfill is an inline script
    sourcemap: false,
    reportCompressedSize: true,
  },
  server: {
    proxy: { '/api': { target: 'https://127.0.0.1:8443', secure: false } },
  },
});
