// The production build (`npm run build`): src/ and its dependencies bundled into dist/, so the image needs no
// node_modules and Node loads and keeps a few files instead of hundreds of modules (BENCHMARKS.md, figure 4).
import { defineConfig } from 'rolldown';

export default defineConfig({
  input: 'src/main.ts',
  platform: 'node',
  output: {
    dir: 'dist',
    format: 'esm',
    // Names stay as written, so stack traces in the logs read like the source; --enable-source-maps maps their lines.
    minify: { mangle: false, compress: true, codegen: { removeWhitespace: true } },
    sourcemap: true,
    sourcemapExcludeSources: true,
  },
});
