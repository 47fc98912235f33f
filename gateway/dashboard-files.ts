import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the build (`npm run build`, web/build/vite.config.ts) puts the dashboard: dist/dashboard beside dist/gateway. */
export const BUILT_DASHBOARD = fileURLToPath(new URL('../dashboard/', import.meta.url));

/**
 * Copies the built dashboard to `dest`, readable by nginx's workers whoever they run as (the checkout
 * may sit in a private home), when it differs from what is there; index.html names every hashed
 * asset, so the same index.html means the same build. False when there is no build to serve.
 */
export function installDashboard(dest: string, src = BUILT_DASHBOARD): boolean {
  const index = path.join(src, 'index.html');
  if (!fs.existsSync(index)) return false;
  const installed = path.join(dest, 'index.html');
  if (fs.existsSync(installed) && fs.readFileSync(installed).equals(fs.readFileSync(index))) return true;
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
