import { defineConfig } from 'vite';

const root = new URL('.', import.meta.url).pathname;

export default defineConfig({
  root,
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    // Two pages: the player's (index.html) and the operator's earnings (operator.html).
    rollupOptions: { input: { play: `${root}index.html`, operator: `${root}operator.html` } },
  },
  server: { proxy: { '/socket.io': { target: 'http://127.0.0.1:8080', ws: true }, '/api': 'http://127.0.0.1:8080' } },
});
