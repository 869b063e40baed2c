import { defineConfig } from 'vite';

const root = new URL('.', import.meta.url).pathname;

export default defineConfig({
  root,
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    // The play page, and the page a watch link opens.
    rollupOptions: { input: { main: `${root}index.html`, watch: `${root}watch.html` } },
  },
  server: { proxy: { '/socket.io': { target: 'http://127.0.0.1:8080', ws: true } } },
});
