import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { publishedPortRuleLines, publishedPortRules } from '../containers/port-firewall.js';

const run = promisify(execFile);

/**
 * Puts the published-port rules (containers/port-firewall.ts) into this host's firewall, once each:
 * the manager's engine shares the host's network. Refuses to go on without them, naming the lines
 * to run by hand: without them, tenants could reach each other's services around the gateway.
 */
export async function applyPublishedPortRules(): Promise<number> {
  let added = 0;
  try {
    for (const { chain, rule } of publishedPortRules()) {
      const present = await run('iptables', ['-C', chain, ...rule]).then(
        () => true,
        () => false,
      );
      if (present) continue;
      await run('iptables', ['-I', chain, ...rule]);
      added++;
    }
  } catch (err) {
    throw new Error(
      `cluster mode: the firewall rules that keep containers away from other projects' published ports could not be set (${(err as Error).message.trim()}). Start the platform as root, or run these lines as root and start again: ${publishedPortRuleLines().join('; ')}`,
      { cause: err },
    );
  }
  return added;
}
