/** `<project>` for the default service, `<project>--<service>` otherwise: the gateway's label. */
function routeLabel(project: string, service: string): string {
  return service === 'default' ? project : `${project}--${service}`;
}

/** URLs of a service: the path-prefixed one works for every client, the host one for browsers and curl. */
export function serviceUrls(
  gatewayUrl: string,
  domain: string,
  port: number,
  project: string,
  service: string,
) {
  const label = routeLabel(project, service);
  return { url: `${gatewayUrl}/${label}/`, hostUrl: `https://${label}.${domain}:${port}/` };
}
