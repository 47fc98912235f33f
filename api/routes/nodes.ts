import { Router } from 'express';
import Docker from 'dockerode';
import { z } from 'zod';
import type { AppDeps } from '../app.js';
import { requireAdmin, requireAuth } from '../auth.js';
import { route } from '../route.js';
import { ConflictError } from '../../core/errors.js';
import { readRegistryLogin } from '../../core/cluster-setting.js';
import { listClusterNodes, setNodeAvailability, workerJoinCommand } from '../../containers/swarm-cluster.js';
import { publishedPortRuleLines } from '../../containers/port-firewall.js';

const Node = z.object({
  id: z.string(),
  hostname: z.string(),
  role: z.enum(['manager', 'worker']),
  state: z.string().describe('ready, down, disconnected or unknown'),
  availability: z.string().describe('active, pause or drain'),
  leader: z.boolean(),
  self: z.boolean().describe("The platform's own node."),
  address: z.string(),
  cpus: z.number(),
  memoryBytes: z.number(),
  engine: z.string(),
  containers: z.number().describe('roro containers running on the node.'),
});

/** What a node needs to pull from the registry, once the supervisor has made it. */
function registryLogin(home: string) {
  const registry = readRegistryLogin(home);
  return registry ? { registry } : {};
}

const NodePath = z.object({ node: z.string().min(1).max(128).describe('Node id, id prefix or hostname.') });

/** The cluster's nodes (admins, cluster mode only): list, join command, drain and activate. */
export function nodeRoutes(deps: AppDeps): Router {
  const r = Router();
  r.use(requireAuth(deps.db), requireAdmin);
  let docker: Docker | undefined;
  const engine = () => {
    if (!deps.env.cluster)
      throw new ConflictError(
        'The platform does not run in cluster mode: it has no nodes but its own engine.',
        'Start it with `roro server up --cluster` (or RORO_CLUSTER=1) to turn Docker Swarm mode on.',
      );
    return (docker ??= new Docker({ socketPath: deps.env.dockerSocket }));
  };
  route(
    r,
    {
      method: 'get',
      path: '/',
      summary: "The cluster's nodes (admins)",
      access: 'admin',
      responses: {
        200: { description: 'The nodes, this one first.', schema: z.object({ nodes: z.array(Node) }) },
      },
    },
    async (_req, res) => {
      res.json({ nodes: await listClusterNodes(engine(), deps.env.dockerSocket) });
    },
  );
  route(
    r,
    {
      method: 'get',
      path: '/join',
      summary: 'What a new host runs to join the cluster as a worker (admins)',
      access: 'admin',
      responses: {
        200: {
          description: "Swarm's join command, with a secret token: pass it on only to the new host.",
          schema: z.object({
            command: z.string(),
            manager: z.string(),
            firewall: z
              .array(z.string())
              .describe(
                "Lines the new host's root runs so that containers cannot reach other projects' published ports.",
              ),
            registry: z
              .object({ address: z.string(), user: z.string(), password: z.string(), caCert: z.string() })
              .optional()
              .describe(
                "The platform's image registry: its CA for the node's engine to trust, and the nodes' login.",
              ),
          }),
        },
      },
    },
    async (_req, res) => {
      res.setHeader('cache-control', 'no-store');
      res.json({
        ...(await workerJoinCommand(engine(), deps.env.dockerSocket)),
        firewall: publishedPortRuleLines(),
        ...registryLogin(deps.env.home),
      });
    },
  );
  for (const [action, availability] of [
    ['drain', 'drain'],
    ['activate', 'active'],
  ] as const) {
    route(
      r,
      {
        method: 'post',
        path: `/:node/${action}`,
        summary:
          action === 'drain'
            ? 'Drain a node: Swarm moves its work to the others (admins); the last active node only with force'
            : 'Make a drained node take work again (admins)',
        access: 'admin',
        params: NodePath,
        query: z.object({
          force: z.enum(['1', 'true']).optional().describe('Drain even the last active node.'),
        }),
        responses: { 200: { description: 'The node as it is now.', schema: z.object({ node: Node }) } },
      },
      async (_req, res, { params, query }) => {
        const node = await setNodeAvailability(
          engine(),
          deps.env.dockerSocket,
          params.node,
          availability,
          query.force !== undefined,
        );
        res.json({ node });
      },
    );
  }
  return r;
}
