import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';
import Docker from 'dockerode';
import { BASE_IMAGE, ensureBaseImage, ensureRuntimeImage } from '../../activities/images.js';
import { testEnv } from './platform.js';
import { startSecondEngine, type SecondEngine } from './second-engine.js';
import { secondPlatform, type SecondPlatform } from './second-platform.js';

/**
 * A second platform on an engine of the test's own (never the shared one, where Swarm mode would
 * change every platform's networking). Its registry runs on the host, which every test engine
 * reaches at the first one's link address. Not yet started: the test runs `server up --cluster`.
 */
export async function platformOnOwnEngine(
  offset: number,
  extra: NodeJS.ProcessEnv = {},
): Promise<{ engine: SecondEngine; second: SecondPlatform }> {
  const engine = await startSecondEngine(0);
  try {
    const second = await secondPlatform(offset, {
      DOCKER_HOST: engine.dockerHost,
      RORO_REGISTRY_ADDR: engine.hostIp,
      ...extra,
    });
    return { engine, second };
  } catch (err) {
    await engine.down();
    throw err;
  }
}

/**
 * The host engine's base and runtime images (built there when missing), with a copy of the host's
 * CA bundle that keeps the base image's recipe, and so the images, fixed for the test (other work
 * on the machine may change the bundle: `roro server trust`). `load` copies them into a test
 * engine, the base under its usual tag, by its recipe's own tag: the shared tag may move meanwhile.
 */
export async function hostImages(
  t: TestContext,
): Promise<{ bundle: string; load(engine: SecondEngine): Promise<void> }> {
  const bundle = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'roro-ca-')), 'ca.crt');
  fs.copyFileSync('/etc/ssl/certs/ca-certificates.crt', bundle);
  t.after(() => {
    delete process.env.RORO_HOST_CA_BUNDLE;
    fs.rmSync(path.dirname(bundle), { recursive: true, force: true });
  });
  process.env.RORO_HOST_CA_BUNDLE = bundle;
  const hostDocker = new Docker({ socketPath: testEnv().dockerSocket });
  const baseId = (await ensureBaseImage(hostDocker)).imageId;
  const runtime = (await ensureRuntimeImage(hostDocker, 'python3')).image;
  return {
    bundle,
    async load(engine) {
      const recipe = (await hostDocker.getImage(baseId).inspect()).Config.Labels['roro.recipe'];
      await engine.load(`roro/base:recipe-${recipe}`);
      const [repo = '', tag = ''] = BASE_IMAGE.split(':');
      await engine.docker.getImage(`roro/base:recipe-${recipe}`).tag({ repo, tag });
      await engine.load(runtime);
    },
  };
}
