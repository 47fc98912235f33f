import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the build (`npm run build`, web/build/vite.config.ts) puts the dashboard: dist/dashboard beside dist/gateway. */
export const BUILT_DASHBOARD = fileURLToPath(new URL('../dashboard/', import.meta.url));

/** Whether every `/_roro/assets/...` file that index.html names exists in the build. */
function assetsPresent(src: string, html: string): boolean {
  const names = [...html.matchAll(/\/_roro\/assets\/([A-Za-z0-9._-]+)/g)].map((m) => m[1]!);
  return names.every((name) => fs.existsSync(path.join(src, 'assets', name)));
}

/**
 * Copies the built dashboard to `dest`, readable by nginx's workers whoever they run as (the checkout
 * may sit in a private home), when it differs from what is there; index.html names every hashed
 * asset, so the same index.html means the same build. False when there is no build to serve.
 */
export function installDashboard(dest: string, src = BUILT_DASHBOARD): boolean {
  const index = path.join(src, 'index.html');
  if (!fs.existsSync(index)) return false;
  const installed = path.join(dest, 'index.html');
  const html = fs.readFileSync(index);
  if (fs.existsSync(installed) && fs.readFileSync(installed).equals(html)) return true;
  // A build still being written: keep serving the one in place until every asset it names is there.
  if (!assetsPresent(src, html.toString('utf8'))) return fs.existsSync(installed);
  const next = `${dest}.${process.pid}.next`;
  fs.rmSync(next, { recursive: true, force: true });
  fs.cpSync(src, next, { recursive: true });
  for (const entry of fs.readdirSync(next, { recursive: true, withFileTypes: true })) {
    fs.chmodSync(path.join(entry.parentPath, entry.name), entry.isDirectory() ? 0o755 : 0o644);
  }
  fs.chmodSync(next, 0o755);
  // The supervisor, the worker and the healer may all do this at once: the last one wins.
  try {
    fs.rmSync(dest, { recursive: true, force: true });
    fs.renameSync(next, dest);
  } catch (err) {
    fs.rmSync(next, { recursive: true, force: true });
    if (!fs.existsSync(installed)) throw err;
  }
  return true;
}
