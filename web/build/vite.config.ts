import { fileURLToPath } from 'node:url';
import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';
import { jsBudget } from './js-budget.ts';

const web = fileURLToPath(new URL('..', import.meta.url));

/**
 * The dashboard: served by the gateway at `/` with its files under `/_roro/assets/`
 * (gateway/nginx-dashboard.ts); built into dist/dashboard, which the gateway copies into RORO_HOME.
 */
export default defineConfig({
  root: web,
  base: '/_roro/',
  plugins: [preact(), jsBudget(Number(process.env.RORO_WEB_JS_BUDGET) || undefined)],
  build: {
    outDir: `${web}../dist/dashboard`,
    emptyOutDir: true,
    assetsDir: 'assets',
    target: 'es2022',
  },
});
