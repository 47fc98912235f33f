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
