import { defineConfig } from 'vite';

const root = new URL('.', import.meta.url).pathname;

export default defineConfig({
  root,
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    // The players' page (index.html), the page a watch link opens, the studios' page and the
    // operator's earnings page.
    rollupOptions: {
      input: {
        main: `${root}index.html`,
        watch: `${root}watch.html`,
        studio: `${root}studio.html`,
        operator: `${root}operator.html`,
      },
    },
  },
  server: {
    proxy: {
      '/socket.io': { target: 'http://127.0.0.1:8080', ws: true },
      '/api': 'http://127.0.0.1:8080',
      '/covers': 'http://127.0.0.1:8080',
    },
  },
});
