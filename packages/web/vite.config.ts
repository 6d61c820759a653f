import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The server serves dist/ itself (same origin as the API); `npm run dev -w packages/web` proxies
// /api to a running Accord on 127.0.0.1:8080.
export default defineConfig({
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    // No inline module-preload polyfill: the page's CSP allows scripts from this origin only.
    modulePreload: { polyfill: false },
    chunkSizeWarningLimit: 600,
  },
  server: { proxy: { '/api': 'http://127.0.0.1:8080' } },
});
